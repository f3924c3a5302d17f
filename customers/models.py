from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Country, Currency, Reseller

domain_validator = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "Enter a domain such as contoso.onmicrosoft.com (lower-case letters, digits, hyphens, dots).",
)


class Customer(models.Model):
    """An end customer (a Microsoft tenant) served by one reseller."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="customers")
    company_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, choices=Country.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / province", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    contact_first_name = models.CharField("contact first name", max_length=100)
    contact_last_name = models.CharField("contact last name", max_length=100)
    contact_email = models.EmailField("contact e-mail")
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    tenant_id = models.UUIDField("Microsoft tenant ID", null=True, blank=True)
    primary_domain = models.CharField(max_length=253, validators=[domain_validator])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["company_name"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "primary_domain"],
                                    name="customer_domain_unique_per_reseller"),
        ]
        indexes = [models.Index(fields=["reseller", "company_name"])]

    def __str__(self):
        return self.company_name
