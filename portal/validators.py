"""Validators shared by the apps (the ground holds them so any layer may use them)."""

from django.core.validators import RegexValidator

domain_validator = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "Enter a domain such as contoso.onmicrosoft.com (lower-case letters, digits, hyphens, dots).",
)
