"""Billing report rows: the report pages' own classes (billing/reports/reports.py), built for
the key's member with the pages' query parameters (the same filters, periods and sorts), one
operation per report table. Columns are the table's visible ones: cost and margin only for
roles that may see money, as on the page and in its exports."""

from dataclasses import dataclass

from django.core.paginator import EmptyPage, Paginator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.base import RESELLER_PARAMETER, ApiMixin
from billing.reports import reports
from customers import selectors as customer_selectors
from portal.permissions import require
from portal.roles import role_can
from subscriptions import selectors as subscription_selectors

PAGE_SIZE, MAX_PAGE_SIZE = 50, 500


def _decimal(**kwargs):
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, **kwargs
    )


def _text(**kwargs):
    return serializers.CharField(required=False, allow_null=True, allow_blank=True, **kwargs)


def _int(**kwargs):
    return serializers.IntegerField(required=False, allow_null=True, **kwargs)


def _date(**kwargs):
    return serializers.DateField(required=False, allow_null=True, **kwargs)


class RowSerializer(serializers.Serializer):
    """A report row with only the table's visible columns (and the ids behind its names)."""

    ids = ("customer_id", "subscription_id")

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        keep = {*columns, *self.ids}
        for name in list(self.fields):
            if name not in keep:
                self.fields.pop(name)


_COMMON = {
    "customer_id": _int(),
    "customer_name": _text(),
    "subscription_id": _int(),
    "partner_center_id": _text(),
    "currency": _text(),
    "cost": _decimal(help_text="The reseller's cost (money roles only)."),
    "price": _decimal(help_text="The customer's price."),
    "margin": _decimal(help_text="Price − cost (money roles only)."),
}


def _row_serializer(name: str, fields: dict) -> type[RowSerializer]:
    return type(name, (RowSerializer,), {**_COMMON, **fields})


UsageRow = _row_serializer(
    "UsageReportRow",
    {
        "meter_category": _text(),
        "meter_name": _text(),
        "meter_id": _text(),
        "unit_of_measure": _text(),
        "quantity": _decimal(),
        "lines": _int(help_text="Daily lines summed in the row."),
    },
)
LicenceRow = _row_serializer(
    "LicenceReportRow",
    {
        "charge_date": _date(),
        "offer_name": _text(),
        "product_type": _text(),
        "kind": _text(help_text="The charge: cycle, seat increase or decrease, cancel, …"),
        "quantity": _decimal(),
        "term": _text(),
        "billing_frequency": _text(),
        "cycle_start": _date(),
        "cycle_end": _date(),
        "billing_days": _int(),
        "cycle_days": _int(),
        "unit_cost": _decimal(),
        "unit_price": _decimal(),
    },
)
SeatRow = _row_serializer(
    "SeatReportRow",
    {
        "offer_name": _text(),
        "product_type": _text(),
        "term": _text(),
        "quantity": _int(),
        "assigned": _int(),
        "unused": _int(),
        "unit_cost": _decimal(),
        "unit_price": _decimal(),
        "cycle_price": _decimal(),
        "proration_price": _decimal(),
        "credit_price": _decimal(),
    },
)
DailyRow = _row_serializer(
    "DailyUsageReportRow",
    {
        "usage_date": _date(),
        "meter_name": _text(),
        "meter_region": _text(),
        "resource_group": _text(),
        "quantity": _decimal(),
        "unit_of_measure": _text(),
    },
)


class TotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = serializers.IntegerField()
    cost = _decimal(help_text="Money roles only.")
    price = _decimal()
    margin = _decimal(help_text="Money roles only.")


FILTERS = [
    OpenApiParameter(
        "period",
        OpenApiTypes.DATE,
        description="The billing period's first day (the reseller's periods of the last two "
        "years; default the current one). Usage tables show the usage month billed in it.",
    ),
    OpenApiParameter("customer", OpenApiTypes.INT, description="One customer (id)."),
    OpenApiParameter(
        "customer_name", OpenApiTypes.STR, description="Customers whose name contains this."
    ),
    OpenApiParameter("product_type", OpenApiTypes.INT, description="A product type (id)."),
    OpenApiParameter("subscription", OpenApiTypes.INT, description="One subscription (id)."),
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number (from 1)."),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description=f"Rows a page (default {PAGE_SIZE})."
    ),
]
METER_CATEGORY = OpenApiParameter(
    "meter_category", OpenApiTypes.STR, description="A meter category of the usage month."
)


@dataclass(frozen=True)
class _Request:
    """What a report reads of the page's request: the query and the member's reseller."""

    GET: object
    reseller: object


def _page_of(request, rows, size: int, count: int):
    number = request.query_params.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    paginator = Paginator(rows, size)
    paginator.count = count  # the totals counted the rows (as the page does)
    try:
        page = paginator.page(number)
    except EmptyPage:
        return [], None, None
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", number + 1) if page.has_next() else None
    previous = None
    if page.has_previous():
        previous = (
            replace_query_param(url, "page", number - 1)
            if number > 2
            else remove_query_param(url, "page")
        )
    return list(page.object_list), next_url, previous


class ReportRowsView(ApiMixin, generics.GenericAPIView):
    """One table of one report: its rows for the filters, one page, with its totals."""

    report = None  # a billing.reports.reports.Report class
    section = ""
    row_serializer: type[RowSerializer] = RowSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request, *args, **kwargs):
        member = self.member
        require(member, "reports.view")
        show_money = role_can(member.role, "billing.view_money")
        # another reseller's customer or subscription is a 404, as everywhere in the API (the
        # page's filter only offers the reseller's own and would call it an invalid choice)
        params = request.query_params
        if params.get("customer", "").isdigit():
            customer_selectors.customer_get(member=member, customer_id=int(params["customer"]))
        if params.get("subscription", "").isdigit():
            subscription_selectors.subscription_get(
                member=member, subscription_id=int(params["subscription"])
            )
        report = type(self).report(
            _Request(GET=request.query_params, reseller=member.reseller),
            ops=False,
            show_money=show_money,
        )
        sections = report.sections
        filterset = report.filterset
        if filterset is not None and not filterset.is_valid():
            raise serializers.ValidationError(
                {k: list(v) for k, v in filterset.form.errors.items()}
            )
        section = next((s for s in sections if s.name == self.section), None)
        if section is None:  # the daily lines need a subscription and a meter
            raise serializers.ValidationError(
                {"subscription": ["Choose a subscription and a meter (its meter ID)."]}
            )
        table = section.table
        ordering = request.query_params.get("ordering")
        if ordering and ordering.lstrip("-") in {c.name for c in table.columns if c.orderable}:
            table.order_by = ordering
        size = request.query_params.get("page_size", "")
        size = min(int(size), MAX_PAGE_SIZE) if size.isdigit() and int(size) > 0 else PAGE_SIZE
        totals = section.totals
        rows, next_url, previous = _page_of(
            request, table.data.data, size, sum(t.rows for t in totals)
        )
        columns = [c.name for c in table.columns]
        return Response(
            {
                "period": report.period.start if report.period else None,
                "count": sum(t.rows for t in totals),
                "next": next_url,
                "previous": previous,
                "columns": columns,
                "totals": TotalSerializer(
                    [
                        {"currency": t.currency, "rows": t.rows, "price": t.price}
                        | ({"cost": t.cost, "margin": t.margin} if show_money else {})
                        for t in totals
                    ],
                    many=True,
                ).data,
                "results": self.row_serializer(rows, many=True, columns=columns).data,
            }
        )


def _schema(row_serializer, summary: str, *, description: str, extra=()):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[RESELLER_PARAMETER, *FILTERS, *extra],
        responses=inline_serializer(
            f"{row_serializer.__name__}Page",
            {
                "period": serializers.DateField(allow_null=True),
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "columns": serializers.ListField(
                    child=serializers.CharField(), help_text="The table's visible columns."
                ),
                "totals": TotalSerializer(many=True),
                "results": row_serializer(many=True),
            },
        ),
    )


ORDERING = OpenApiParameter(
    "ordering", OpenApiTypes.STR, description="A column to sort by; `-column` descending."
)


def report_view(report, section: str, row_serializer, summary: str, *, extra=()):
    view = type(
        f"{report.__name__}{section.title()}Rows",
        (ReportRowsView,),
        {"report": report, "section": section, "row_serializer": row_serializer},
    )
    view.get = _schema(row_serializer, summary, description=report.intro, extra=(ORDERING, *extra))(
        view.get
    )
    return view.as_view()


VIEWS = {
    "reports/azure-plan/usage/": report_view(
        reports.AzurePlanReport,
        "usage",
        UsageRow,
        "Azure plan usage per customer, subscription and meter",
        extra=(METER_CATEGORY,),
    ),
    "reports/azure-plan/licences/": report_view(
        reports.AzurePlanReport, "licences", LicenceRow, "Licence charges of the period"
    ),
    "reports/azure-legacy/usage/": report_view(
        reports.AzureLegacyReport,
        "usage",
        UsageRow,
        "Legacy Azure usage per customer, subscription and meter",
        extra=(METER_CATEGORY,),
    ),
    "reports/seats/": report_view(
        reports.SeatsReport, "seats", SeatRow, "Seat products per subscription"
    ),
    "reports/azure-plan/daily/": report_view(
        reports.DailyUsageReport,
        "daily",
        DailyRow,
        "Daily usage lines of one subscription's meter",
        extra=(
            METER_CATEGORY,
            OpenApiParameter("meter", OpenApiTypes.STR, description="The meter ID (required)."),
        ),
    ),
}
