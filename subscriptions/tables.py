from functools import cached_property

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from portal.tables import ListTable, link, url_maker
from subscriptions import rules
from subscriptions.models import Subscription


class SubscriptionTable(ListTable):
    offer = tables.Column(accessor="offer__name", verbose_name="Subscription")
    customer = tables.Column(accessor="customer__company_name", verbose_name="Customer")
    quantity = tables.Column(verbose_name="Seats")
    assigned = tables.Column(verbose_name="Assigned", orderable=False)
    term = tables.Column(verbose_name="Term / billing", order_by=("term", "billing_frequency"))
    term_end = tables.Column(verbose_name="Renews / ends")
    window = tables.Column(accessor="window_opened_at", verbose_name="Cancellation window")
    status = tables.Column()

    class Meta:
        model = Subscription
        fields = [
            "customer",
            "offer",
            "quantity",
            "assigned",
            "term",
            "term_end",
            "window",
            "status",
        ]
        order_by = "term_end"
        empty_text = "No subscriptions match."
        attrs = {"class": "striped"}

    @cached_property
    def now(self):
        return timezone.now()  # one instant for the whole page

    @cached_property
    def customer_url(self):
        return url_maker("customers:detail", "customer_id")

    @cached_property
    def subscription_url(self):
        return url_maker("subscriptions:detail", "subscription_id")

    def cell_customer(self, record):
        return link(self.customer_url(record.customer_id), record.customer.company_name)

    def cell_offer(self, record):
        return link(self.subscription_url(record.pk), record.offer.name)

    def cell_assigned(self, record):
        if record.offer.product_type.billing != "seats":
            return "—"
        unused = record.quantity - record.assigned
        return format_html("{} <small class='muted'>({} unused)</small>", record.assigned, unused)

    def cell_term(self, record):
        return format_html(
            "{}<br><small class='muted'>{}</small>",
            record.get_term_display(),
            record.get_billing_frequency_display(),
        )

    def cell_term_end(self, record):
        return record.renewal()

    def cell_window(self, record):
        now = self.now
        if not (record.in_force and record.has_term) or not rules.window_open(
            record.window_opened_at, now
        ):
            return mark_safe("<span class='muted'>closed</span>")  # format_html needs args
        left = rules.window_closes_at(record.window_opened_at) - now
        hours = int(left.total_seconds() // 3600)
        return format_html(
            "<span class='state state-pending'>closes in {} h {} min</span>",
            hours,
            int(left.total_seconds() // 60 % 60),
        )

    def cell_status(self, record):
        if not record.is_provisioned:
            return format_html(
                '<span class="state state-{}">{}</span>',
                record.provisioning,
                record.get_provisioning_display(),
            )
        return format_html(
            '<span class="state state-{}">{}</span>', record.status, record.get_status_display()
        )
