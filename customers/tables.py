import django_tables2 as tables
from django.utils.html import format_html

from customers.models import Customer


class CustomerTable(tables.Table):
    company_name = tables.Column(
        linkify=("customers:detail", {"customer_id": tables.A("pk")}), verbose_name="Customer"
    )
    primary_domain = tables.Column(verbose_name="Domain")
    contact = tables.Column(
        accessor="contact_last_name",
        verbose_name="Contact",
        order_by=("contact_last_name", "contact_first_name"),
    )
    mca_status = tables.Column(verbose_name="MCA")

    class Meta:
        model = Customer
        fields = [
            "company_name",
            "primary_domain",
            "country",
            "currency",
            "contact",
            "mca_status",
            "created_at",
        ]
        order_by = "company_name"
        empty_text = "No customers match."
        attrs = {"class": "striped"}

    def render_contact(self, record):
        return format_html("{}<br><small>{}</small>", record.contact_name, record.contact_email)

    def render_mca_status(self, record):
        return format_html(
            '<span class="state state-{}">{}</span>',
            record.mca_status,
            record.get_mca_status_display(),
        )

    def render_created_at(self, value):
        return value.strftime("%Y-%m-%d")
