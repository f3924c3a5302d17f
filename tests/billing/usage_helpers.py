"""Usage CSVs for tests, written by the Partner Center sandbox's generator."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from partner_center import usage
from partner_center.models import SandboxCustomer, SandboxSubscription
from partner_center.types import USAGE_CSV_HEADERS

SEED = 7


def rows_for(subs, start: date, days: int) -> list[dict[str, str]]:
    """The sandbox's usage lines of `subs` for `days` days from `start`, as CSV rows."""
    with scopes_disabled():
        spans = [
            usage.Span(
                tenant_id=str(s.customer.tenant_id),
                customer_name=s.customer.company_name,
                subscription_id=s.partner_center_id,
                currency=s.customer.currency,
                first_day=start,
                days=days,
            )
            for s in subs
        ]
    lines, _ = usage.generate(spans, seed=SEED, offset=0, limit=10**9)
    return [line.as_csv_row() for line in lines]


def to_csv(rows, *, headers=None, bom=False, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers or USAGE_CSV_HEADERS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode(encoding) + out.getvalue().encode(encoding)


def upload(data: bytes, name="usage.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def mirror_in_sandbox(subs, *, since: date) -> None:
    """Partner Center's (sandbox) record of the portal's Azure plan subscriptions."""
    created = datetime.combine(since, time(), tzinfo=UTC)
    with scopes_disabled():
        for s in subs:
            customer, _ = SandboxCustomer.objects.get_or_create(
                tenant_id=str(s.customer.tenant_id),
                defaults={
                    "company_name": s.customer.company_name,
                    "domain": s.customer.primary_domain,
                    "country": s.customer.country,
                    "currency": s.customer.currency,
                    "reseller_mpn_id": "1234567",
                },
            )
            SandboxSubscription.objects.create(
                subscription_id=s.partner_center_id,
                customer=customer,
                offer=s.offer,
                quantity=1,
                term="P1M",
                billing_frequency="monthly",
                created_at=created,
                term_start=since,
                term_end=since + timedelta(days=29),
                term_started_at=created,
            )
