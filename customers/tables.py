from functools import cached_property

import django_tables2 as tables
from django.utils.html import format_html

from customers.models import Customer
from portal.tables import ListTable, link, url_maker


class CustomerTable(ListTable):
    company_name = tables.Column(verbose_name="Customer")
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

    @cached_property
    def customer_url(self):
        return url_maker("customers:detail", "customer_id")

    def cell_company_name(self, record):
        return link(self.customer_url(record.pk), record.company_name)

    def cell_country(self, record):
        return record.get_country_display()

    def cell_currency(self, record):
        return record.get_currency_display()

    def cell_contact(self, record):
        return format_html("{}<br><small>{}</small>", record.contact_name, record.contact_email)

    def cell_mca_status(self, record):
        return format_html(
            '<span class="state state-{}">{}</span>',
            record.mca_status,
            record.get_mca_status_display(),
        )

    def cell_created_at(self, record):
        return record.created_at.strftime("%Y-%m-%d")
