"""The programs and per-country links every installation has (DESIGN.md "Programs").

Used by a data migration and by `seed_demo` (tests that flush the database get them back).
Operations may edit them in the admin afterwards; `ensure_*` only creates missing rows.
"""

BASE = "azure-reseller"

TERMS_VERSION = "2026-01"
TERMS = (
    "By requesting {name} you accept, for your company:\n"
    "1. The program terms: you resell Microsoft cloud services only through the distributor, "
    "to end customers who have accepted the Microsoft Customer Agreement, and you keep your "
    "Microsoft Partner Agreement and partner profile current.\n"
    "2. The customer-support obligation: you support your customers 24 hours a day, 365 days "
    "a year, as their first line of support; the distributor supports you.\n"
    "Operations record who accepted these terms, when, and which version."
)

PROGRAMS = [
    # code, name, status, requires, reason, order, description
    (
        BASE,
        "Microsoft Azure Reseller Program",
        "available",
        None,
        "",
        10,
        "The base program: request it first. It lets you resell Microsoft cloud services "
        "through the distributor.",
    ),
    (
        "azure-plan",
        "Microsoft Azure Plan",
        "available",
        BASE,
        "",
        20,
        "Sell Azure consumption under the CSP Azure plan, billed monthly in arrears.",
    ),
    (
        "modern-workplace",
        "Microsoft Modern Workplace",
        "available",
        BASE,
        "",
        30,
        "Sell Microsoft 365, Dynamics 365 and Windows 365 under New Commerce.",
    ),
    (
        "azure-legacy",
        "Microsoft Azure (Legacy)",
        "sunset",
        None,
        "Microsoft retired the legacy Azure offer; request the Microsoft Azure Plan instead.",
        40,
        "The legacy CSP Azure offer (MS-AZR-0145P).",
    ),
    (
        "modern-workplace-legacy",
        "Modern Workplace (Legacy)",
        "sunset",
        None,
        "Legacy licence-based offers were replaced by New Commerce; request Microsoft Modern "
        "Workplace instead.",
        50,
        "Legacy licence-based Microsoft 365 offers.",
    ),
    (
        "direct-ea",
        "Direct EA",
        "unsupported",
        None,
        "A Direct Enterprise Agreement is contracted with Microsoft directly; it is not part of "
        "the CSP indirect channel.",
        60,
        "Microsoft Enterprise Agreement bought directly.",
    ),
    (
        "paygo-azure",
        "PayGo Azure",
        "unsupported",
        None,
        "Pay-as-you-go Azure bought online from Microsoft is not resold through CSP; use the "
        "Microsoft Azure Plan.",
        70,
        "Pay-as-you-go Azure (web direct).",
    ),
]

END_CUSTOMER_TEMPLATE = (
    "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
    "&partnerId={providerTenantId}&msppId={resellerPartnerId}&indirectCSPId={resellerTenantId}"
    "&DAP={dap}#/BillingAccounts/partner-invitation"
)

LINKS = [
    # kind, label, url template, order, description  (per country: locale of the MPN portal)
    (
        "indirect_reseller",
        "Indirect reseller relationship request",
        "https://partner.microsoft.com/dashboard/v2/indirectresellers/relationshiprequest"
        "?partnerId={providerTenantId}",
        10,
        "Accept the distributor as your indirect provider in Partner Center (global admin).",
    ),
    (
        "end_customer",
        "End-customer relationship request",
        END_CUSTOMER_TEMPLATE,
        20,
        "Send this link to an existing Microsoft customer so that it accepts you as its "
        "reseller through the distributor.",
    ),
    (
        "partner_network",
        "Partner network (MPN) portal",
        "https://partner.microsoft.com/{locale}/",
        30,
        "Your Microsoft partner profile, MPN/Partner ID and agreements.",
    ),
]
COUNTRY_LOCALES = {"US": "en-us", "CA": "en-ca"}


def ensure_programs(apps):
    Program = apps.get_model("programs", "Program")
    by_code = {}
    has_terms = any(f.name == "terms_version" for f in Program._meta.get_fields())  # from 0003
    for code, name, status, requires, reason, order, description in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "status": status,
                "reason": reason,
                "sort_order": order,
                "description": description,
                "requires": by_code.get(requires),
            },
        )
        if has_terms and not program.terms_version:
            program.terms = TERMS.format(name=name)
            program.terms_version = TERMS_VERSION
            program.save(update_fields=["terms", "terms_version"])
        by_code[code] = program


def ensure_country_links(apps):
    CountryProgramLink = apps.get_model("programs", "CountryProgramLink")
    for country, locale in COUNTRY_LOCALES.items():
        for kind, label, template, order, description in LINKS:
            CountryProgramLink.objects.get_or_create(
                country=country,
                kind=kind,
                defaults={
                    "label": label,
                    "url_template": template.replace("{locale}", locale),
                    "sort_order": order,
                    "description": description,
                },
            )
