"""Keeps `UsageSummary` in step with `UsageLine`: one (reseller, month) at a time, deleted and
rebuilt from the lines with one GROUP BY, inside the caller's transaction. (A COPY of lines
new to their days adds its sums instead: `usage_pg._add_to_summaries`.)"""

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, F, Max, Sum
from django_scopes import scopes_disabled

from billing.usage.models import UsageLine, UsageSummary


@transaction.atomic
def refresh(pairs, *, lines=UsageLine, summaries=UsageSummary) -> int:
    """Rebuild the summaries of each (reseller id, month); returns the rows written.
    (`lines`, `summaries`: the models, which a data migration passes as of its state.)"""
    written = 0
    with scopes_disabled():
        for reseller_id, month in sorted(pairs):
            month = month.replace(day=1)
            end = month + relativedelta(months=1, days=-1)
            summaries.objects.filter(reseller_id=reseller_id, month=month).delete()
            groups = (
                lines.objects.filter(
                    reseller_id=reseller_id, is_marketplace=False, usage_date__range=(month, end)
                )
                .order_by()
                .values(
                    "customer_id",
                    "subscription_id",
                    "meter_id",
                    "currency",
                    product_type_id=F("subscription__offer__product_type_id"),
                )
                .annotate(
                    category=Max("meter_category"),
                    sub_category=Max("meter_sub_category"),
                    name=Max("meter_name"),
                    unit=Max("unit_of_measure"),
                    qty=Sum("quantity"),
                    total=Sum("billing_pre_tax_total"),
                    n=Count("pk"),
                )
            )
            rows = [
                summaries(
                    reseller_id=reseller_id,
                    month=month,
                    customer_id=g["customer_id"],
                    subscription_id=g["subscription_id"],
                    product_type_id=g["product_type_id"],
                    meter_id=g["meter_id"],
                    currency=g["currency"],
                    meter_category=g["category"],
                    meter_sub_category=g["sub_category"],
                    meter_name=g["name"],
                    unit_of_measure=g["unit"],
                    quantity=g["qty"],
                    pre_tax_total=g["total"],
                    lines=g["n"],
                )
                for g in groups
            ]
            summaries.objects.bulk_create(rows, batch_size=5000)
            written += len(rows)
    return written
