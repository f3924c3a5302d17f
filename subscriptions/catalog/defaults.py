"""The product types and seat-cap groups every installation has (DESIGN.md "Products").

Used by a data migration and by `seed_demo` (tests that flush the database get them back).
"""

PRODUCT_TYPES = [
    # code, name, status, billing, reason, order
    ("azure-plan", "Microsoft Azure plan", "sellable", "usage", "", 10),
    (
        "nce",
        "New Commerce licence-based (Microsoft 365, Dynamics 365, Windows 365)",
        "sellable",
        "seats",
        "",
        20,
    ),
    ("reserved-instance", "Azure Reserved Instance", "sellable", "seats", "", 30),
    ("software-subscription", "Software subscription", "sellable", "seats", "", 40),
    ("perpetual-software", "Perpetual software", "sellable", "one_time", "", 50),
    (
        "azure-legacy",
        "Microsoft Azure (legacy)",
        "sunset",
        "usage",
        "Microsoft retired the legacy Azure offer (MS-AZR-0145P); move customers to the "
        "Azure plan.",
        60,
    ),
    (
        "modern-workplace-legacy",
        "Modern Workplace (legacy licence-based)",
        "sunset",
        "seats",
        "Legacy licence-based offers were replaced by New Commerce; buy the NCE offer instead.",
        70,
    ),
    (
        "direct-ea",
        "Direct Enterprise Agreement",
        "unsupported",
        "usage",
        "Direct EA is contracted with Microsoft directly and is not supported in the CSP "
        "indirect channel.",
        80,
    ),
    (
        "paygo-azure",
        "Pay-as-you-go Azure (web direct)",
        "unsupported",
        "usage",
        "Pay-as-you-go Azure bought from Microsoft online is not supported; use the Azure plan.",
        90,
    ),
]


def ensure_product_types(apps):
    ProductType = apps.get_model("subscriptions", "ProductType")
    SeatCapGroup = apps.get_model("subscriptions", "SeatCapGroup")
    for code, name, status, billing, reason, order in PRODUCT_TYPES:
        ProductType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "status": status,
                "billing": billing,
                "reason": reason,
                "sort_order": order,
            },
        )
    SeatCapGroup.objects.update_or_create(
        code="m365-business",
        defaults={"name": "Microsoft 365 Business Basic/Standard/Premium", "max_seats": 300},
    )
