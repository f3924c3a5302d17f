import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from subscriptions import rules
from subscriptions.models import Subscription


class SubscriptionTable(tables.Table):
    offer = tables.Column(
        accessor="offer__name",
        verbose_name="Subscription",
        linkify=("subscriptions:detail", {"subscription_id": tables.A("pk")}),
    )
    customer = tables.Column(
        accessor="customer__company_name",
        verbose_name="Customer",
        linkify=("customers:detail", {"customer_id": tables.A("customer_id")}),
    )
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

    def render_assigned(self, record):
        if record.offer.product_type.billing != "seats":
            return "—"
        unused = record.quantity - record.assigned
        return format_html("{} <small class='muted'>({} unused)</small>", record.assigned, unused)

    def render_term(self, record):
        return format_html(
            "{}<br><small class='muted'>{}</small>",
            record.get_term_display(),
            record.get_billing_frequency_display(),
        )

    def render_term_end(self, record):
        return record.renewal()

    def render_window(self, record):
        now = timezone.now()
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

    def render_status(self, record):
        if not record.is_provisioned:
            return format_html(
                '<span class="state state-{}">{}</span>',
                record.provisioning,
                record.get_provisioning_display(),
            )
        return format_html(
            '<span class="state state-{}">{}</span>', record.status, record.get_status_display()
        )
