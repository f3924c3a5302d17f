"""The agreement text shown in the click-through: Microsoft publishes the Microsoft Customer
Agreement; we show which template and version the customer accepts and link to the original."""

from django.conf import settings

MCA_URL = "https://www.microsoft.com/licensing/docs/customeragreement"

SUMMARY = [
    "The Microsoft Customer Agreement (MCA) is between your organisation and Microsoft. It "
    "governs your use of Microsoft online services, software and support bought through a "
    "Cloud Solution Provider.",
    "Microsoft requires that a person authorised to bind your organisation accepts it before "
    "your reseller may buy or change any subscription for your tenant.",
    "Your acceptance (name, e-mail, date and time in UTC) is passed to Microsoft by our "
    "distributor, who logs it in Partner Center on your reseller's behalf.",
]


def current() -> dict:
    return {
        "template_id": settings.MCA_TEMPLATE_ID,
        "version": settings.MCA_TEMPLATE_VERSION,
        "url": MCA_URL,
        "summary": SUMMARY,
    }
