"""The portal frame: pages of the ground (dashboard, operations home, customer pages, demo data)
that show what the apps above contribute, without importing them (inversion, as pretix's
`event_dashboard_widgets` signal). Each app's AppConfig names its contributions by dotted path:

- `dashboard_widgets(request) -> list[Widget]`: the reseller dashboard (section "figures" is
  re-rendered alone on htmx requests, "attention" cards follow);
- `ops_queues() -> list[Queue]`: the operations home's queues with their counts;
- `customer_context(member, customer) -> dict`: extra context of a customer's page;
- `customer_portal_context(customer) -> dict`: extra context of the customer portal's home;
- `help_context(request) -> dict`: extra context of the help page (support contacts);
- `demo(ops_user) -> None`: the app's demo data, called by `seed_demo` in layer order;
- `webhook_payloads`: a dict {model label: builder(obj, *, reseller_id) -> dict}, the `data` of
  the webhook events about those models (webhooks/events.py).

Apps are asked in INSTALLED_APPS order, which is DESIGN.md's layer order.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import AppConfig, apps
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import Count, Window
from django.utils.module_loading import import_string


class PortalApp(AppConfig):
    """Base of the portal's own apps. `submodels`: sub-packages holding models of this app
    (e.g. "catalog" for subscriptions/catalog/models.py), imported with the app's models."""

    submodels: tuple[str, ...] = ()
    dashboard_widgets: str | None = None
    ops_queues: str | None = None
    customer_context: str | None = None
    customer_portal_context: str | None = None
    help_context: str | None = None
    demo: str | None = None
    webhook_payloads: str | None = None

    def import_models(self) -> None:
        super().import_models()
        for package in self.submodels:
            import_module(f"{self.name}.{package}.models")


@dataclass
class Widget:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    section: str = "attention"
    partial: str = ""  # what an htmx request re-renders (default: the whole template)


@dataclass
class Queue:
    label: str
    url: str
    count: int | None = None
    note: str = ""


def table_names(**models) -> dict[str, str]:
    """Each model's table, quoted for a raw statement's text (`{name}` placeholders)."""
    return {name: connection.ops.quote_name(m._meta.db_table) for name, m in models.items()}


def first_and_count(queryset, n: int = 5) -> tuple[list, int]:
    """The first `n` rows of an ordered `queryset` and the number of all its rows, in one query
    (COUNT(*) OVER () is computed before the LIMIT): an attention card's list and count."""
    rows = list(queryset.annotate(_card_count=Window(Count("pk")))[:n])
    return rows, rows[0]._card_count if rows else 0


def _count_columns(querysets: dict, db: str) -> tuple[list[str], list]:
    """A scalar subquery counting the rows of each queryset (the ORM's own SQL, its
    parameters passed apart), named `count_<name>`."""
    columns, params = [], []
    for name, queryset in querysets.items():
        if not name.isidentifier():  # a column name in the SQL
            raise ValueError(f"Not a name: {name!r}")
        query = queryset.order_by().values("pk").query
        try:
            sql, query_params = query.get_compiler(db).as_sql()
        except EmptyResultSet:  # e.g. `pk__in=[]`: nothing to count
            columns.append(f"0 AS count_{name}")
            continue
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) counted) AS count_{name}")  # noqa: S608
        params.extend(query_params)
    return columns, params


def counts(**querysets) -> dict[str, int]:
    """The number of rows of each queryset, in one query (a scalar subquery each): counts a
    page shows side by side cost one round trip and one plan instead of one each."""
    if not querysets:
        return {}
    db = next(iter(querysets.values())).db
    columns, params = _count_columns(querysets, db)
    with connections[db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)  # noqa: S608
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def rows_and_counts(rows, order: str, **querysets) -> tuple[list, dict[str, int]]:
    """The model instances of the sliced queryset `rows` and `counts(**querysets)`, in one
    query: the counts beside each row, and alone when `rows` has none (a LEFT JOIN of the
    rows to one row of counts). `order`: the rows' order by their column names (a derived
    table keeps none), e.g. "created_at DESC, id DESC"."""
    db = rows.db
    columns, params = _count_columns(querysets, db)
    rows_sql, rows_params = rows.query.get_compiler(db).as_sql()
    # the base manager: the compiled querysets carry their tenant scope already
    found = list(
        rows.model._base_manager.db_manager(db).raw(
            f"SELECT shown.*, {', '.join(columns)} FROM (SELECT 1 AS one) one "  # noqa: S608
            f"LEFT JOIN ({rows_sql}) shown ON 1 = 1 ORDER BY {order}",
            [*params, *rows_params],
        )
    )
    numbers = {name: getattr(found[0], f"count_{name}") for name in querysets}
    return [row for row in found if row.pk is not None], numbers


def contributions(hook: str) -> Iterator[Any]:
    """The callables the apps name for `hook`, in layer order."""
    for config in apps.get_app_configs():
        path = getattr(config, hook, None)
        if isinstance(path, str):
            yield import_string(path)


def collect(hook: str, *args: Any, **kwargs: Any) -> list[Any]:
    """All apps' answers to `hook`, flattened (hooks return lists)."""
    return [item for contribute in contributions(hook) for item in contribute(*args, **kwargs)]


def merged(hook: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """All apps' context for `hook`, merged (hooks return dicts)."""
    context: dict[str, Any] = {}
    for contribute in contributions(hook):
        context.update(contribute(*args, **kwargs))
    return context
