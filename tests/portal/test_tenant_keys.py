"""Citus-ready schema: every tenant table (a model with a required `reseller` foreign key)
carries `reseller` in each of its unique keys, so that PostgreSQL distributed by reseller can
enforce them shard by shard (ARCHITECTURE.md, "Distributing by reseller")."""

from django.apps import apps
from django.db import models

# Unique keys that do not carry the reseller yet, each with the reason and the way out.
NOT_YET = {
    # one-to-one links: Django gives them a unique index of their own; distributing turns each
    # into a foreign key with a unique (link, reseller) constraint and a reverse accessor
    ("customers.McaAcceptance", ("customer",)): "one-to-one with Customer",
    ("customers.McaAcceptance", ("invitation",)): "one-to-one with McaInvitation",
    ("subscriptions.PriceBook", ("customer",)): "one-to-one with Customer",
    ("subscriptions.ScheduledChange", ("subscription",)): "one-to-one with Subscription",
    # one Microsoft tenant belongs to one reseller (DESIGN "Customer tenants"): unique across
    # resellers on purpose; distributed, a reference table of tenant → reseller keeps it
    ("customers.Customer", ("tenant_id",)): "one tenant, one reseller",
}


def tenant_models():
    for model in apps.get_models():
        field = next((f for f in model._meta.local_fields if f.name == "reseller"), None)
        if isinstance(field, models.ForeignKey) and not field.null:
            yield model


def unique_keys(model):
    """Every unique key of a model but its primary key, as a tuple of field names."""
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            yield (field.name,)
    for fields in model._meta.unique_together:
        yield tuple(fields)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            yield tuple(constraint.fields) or tuple(map(str, constraint.expressions))


def test_every_unique_key_of_a_tenant_table_carries_the_reseller():
    missing = [
        (model._meta.label, key)
        for model in tenant_models()
        for key in unique_keys(model)
        if "reseller" not in key and (model._meta.label, key) not in NOT_YET
    ]
    assert missing == [], f"add the reseller to these unique keys (Citus-ready): {missing}"


def test_the_exceptions_are_still_there():
    """An exception that is fixed leaves the list (the list only shrinks)."""
    present = {(model._meta.label, key) for model in tenant_models() for key in unique_keys(model)}
    assert set(NOT_YET) <= present, set(NOT_YET) - present


def test_the_tenant_tables_are_found():
    labels = {model._meta.label for model in tenant_models()}
    assert {
        "customers.Customer",
        "subscriptions.Subscription",
        "billing.Invoice",
        "billing.BillingLine",
        "support.Ticket",
        "portal.Invitation",
    } <= labels
    # a nullable reseller marks an operations table (rows of no reseller): not distributed
    assert "portal.AuditEvent" not in labels and "billing.UsageImport" not in labels
