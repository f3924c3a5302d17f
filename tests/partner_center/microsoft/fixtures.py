# ruff: noqa: E501, E101 -- Microsoft's text, kept as published (long lines, tabs)
"""Microsoft's own Partner Center request and response bodies, copied from its published
REST documentation (the MicrosoftDocs/partner-center repository, folder developer/, which is
learn.microsoft.com/partner-center/developer/<page>; text as of October 2023). Each constant
names its page. Where the documented example is not valid JSON (a missing comma, a comment),
the smallest repair is listed next to it; nothing else is changed.

These are the reference for the fake Partner Center (server.py) and the contract tests: our
own client code is never imported here.
"""

import json


def _json(text: str, *repairs: tuple[str, str]) -> dict:
    for old, new in repairs:
        assert old in text, old
        text = text.replace(old, new)
    return json.loads(text)


# MicrosoftDocs/partner-center, developer/create-a-customer-for-an-indirect-reseller.md = https://learn.microsoft.com/partner-center/developer/create-a-customer-for-an-indirect-reseller
# Request example (PascalCase as the .NET SDK sends it; the API reads keys case-insensitively).
CUSTOMER_CREATE_REQUEST_TEXT = r"""{
    "Id": null,
    "CommerceId": null,
    "CompanyProfile": {
        "TenantId": null,
        "Domain": "WingtipToys678152504.onmicrosoft.com",
        "CompanyName": null,
        "Attributes": {
            "ObjectType": "CustomerCompanyProfile"
        }
    },
    "BillingProfile": {
        "Id": null,
        "FirstName": null,
        "LastName": null,
        "Email": "Gena@wingtiptoys.com",
        "Culture": "EN-US",
        "Language": "En",
        "CompanyName": "Wingtip Toys678152504",
        "DefaultAddress": {
            "Country": "US",
            "Region": null,
            "City": "Redmond",
            "State": "WA",
            "AddressLine1": "One Microsoft Way",
            "AddressLine2": null,
            "PostalCode": "98052",
            "FirstName": "Gena",
            "LastName": "Soto",
            "PhoneNumber": "4255550101"
        },
        "Attributes": {
            "ObjectType": "CustomerBillingProfile"
        }
    },
    "RelationshipToPartner": "none",
    "AllowDelegatedAccess": null,
    "UserCredentials": null,
    "CustomDomains": null,
    "AssociatedPartnerId": "484e548c-f5f3-4528-93a9-c16c6373cb59",
    "Attributes": {
        "ObjectType": "Customer"
    }
}"""
CUSTOMER_CREATE_REQUEST = _json(CUSTOMER_CREATE_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/create-a-customer-for-an-indirect-reseller.md = https://learn.microsoft.com/partner-center/developer/create-a-customer-for-an-indirect-reseller
# Response example: the one-time admin credentials are in userCredentials.
CUSTOMER_CREATE_RESPONSE_TEXT = r"""{
    "id": "626099fe-17af-4756-9fd0-6a73b7127859",
    "commerceId": "626099fe-17af-4756-9fd0-6a73b7127859",
    "companyProfile": {
        "tenantId": "626099fe-17af-4756-9fd0-6a73b7127859",
        "domain": "WingtipToys678152504.onmicrosoft.com",
        "companyName": "Wingtip Toys678152504",
        "links": {
            "self": {
                "uri": "/customers/626099fe-17af-4756-9fd0-6a73b7127859/profiles/company",
                "method": "GET",
                "headers": []
            }
        },
        "attributes": {
            "objectType": "CustomerCompanyProfile"
        }
    },
    "billingProfile": {
        "id": "7079246e-7b62-56ef-7cbd-a819514b54b5",
        "email": "Gena@wingtiptoys.com",
        "culture": "en-US",
        "language": "En",
        "companyName": "Wingtip Toys678152504",
        "defaultAddress": {
            "country": "US",
            "city": "Redmond",
            "state": "WA",
            "addressLine1": "One Microsoft Way",
            "postalCode": "98052",
            "firstName": "Gena",
            "lastName": "Soto",
            "phoneNumber": "4255550101"
        },
        "attributes": {
            "etag": "-8799889149591823008",
            "objectType": "CustomerBillingProfile"
        }
    },
    "relationshipToPartner": "reseller",
    "allowDelegatedAccess": true,
    "userCredentials": {
        "userName": "admin",
        "password": "0Krha*Io"
    },
    "associatedPartnerId": "484e548c-f5f3-4528-93a9-c16c6373cb59",
    "attributes": {
        "objectType": "Customer"
    }
}"""
CUSTOMER_CREATE_RESPONSE = _json(CUSTOMER_CREATE_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/get-customer-agreement-metadata.md = https://learn.microsoft.com/partner-center/developer/get-customer-agreement-metadata
# GET /v1/agreements?agreementType=MicrosoftCustomerAgreement, response example.
MCA_AGREEMENTS_RESPONSE_TEXT = r"""{
    "totalCount": 1,
    "items": [
        {
            "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
            "agreementType": "MicrosoftCustomerAgreement",
            "agreementLink": "https://aka.ms/customeragreement",
            "versionRank": 0
        }
    ],
    "attributes": {
        "objectType": "Collection"
    }
}"""
MCA_AGREEMENTS_RESPONSE = _json(MCA_AGREEMENTS_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/confirm-customer-consent-customer-agreement.md = https://learn.microsoft.com/partner-center/developer/confirm-customer-consent-customer-agreement
# The duplicate-attestation error body.
ERROR_600061_TEXT = r"""{
"code": 600061,
"message": "A partner confirmed agreement already exists for the customer.",
"description": "A partner confirmed agreement already exists for the customer.",
"errorName": "PartnerConfirmedAgreementAlreadyExists",
"isRetryable": false,
"parameters": {},
"errorMessageExtended": "InternalErrorCode=600061"
}"""
ERROR_600061 = _json(ERROR_600061_TEXT)

# MicrosoftDocs/partner-center, developer/confirm-customer-consent-customer-agreement.md = https://learn.microsoft.com/partner-center/developer/confirm-customer-consent-customer-agreement
# Request example.
AGREEMENT_REQUEST_TEXT = r"""{
    "primaryContact": {
        "firstName": "Tania",
        "lastName": "Carr",
        "email": "someone@example.com",
        "phoneNumber": "1234567890"
    },
    "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
    "dateAgreed": "2018-06-14T00:00:00.000Z",
    "type": "MicrosoftCustomerAgreement"
}"""
AGREEMENT_REQUEST = _json(AGREEMENT_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/confirm-customer-consent-customer-agreement.md = https://learn.microsoft.com/partner-center/developer/confirm-customer-consent-customer-agreement
# Response example.
AGREEMENT_RESPONSE_TEXT = r"""{
    "userId": "3d6f2c09-eb40-48ca-a4b3-d24c9c007531",
    "primaryContact": {
        "firstName": "Tania",
        "lastName": "Carr",
        "email": "someone@example.com",
        "phoneNumber": "1234567890"
    },
    "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
    "dateAgreed": "2018-06-14T00:00:00.000Z",
    "type": "MicrosoftCustomerAgreement"
}"""
AGREEMENT_RESPONSE = _json(AGREEMENT_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/create-a-cart.md = https://learn.microsoft.com/partner-center/developer/create-a-cart
# New commerce request sample with participants (transaction_reseller = the indirect reseller's PartnerID).
CART_REQUEST_TEXT = r"""{
    "PartnerOnRecordAttestationAccepted":true,     "lineItems": [
        {
            "id": 0,
            "catalogItemId": "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
            "quantity": 1,
            "billingCycle": "monthly",
            "termDuration": "P1M",
            "renewsTo": null,
            "provisioningContext": {},
            "customTermEndDate": "2022-02-19T00:00:00Z"
        },
        {
            "id": 1,
            "catalogItemId": "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ",
            "quantity": 2,
            "billingCycle": "monthly",
            "termDuration": "P1Y",
            "participants": [
                {
                    "key": "transaction_reseller",
                    "value": "5357564"
                },
                 {
                    "key": "additional_transaction_reseller",
                    "value": "517285"
                },
                 {
                    "key": "additional_transaction_reseller",
                    "value": "5357563"
                }
            ]
        }
    ]
}"""
CART_REQUEST = _json(CART_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/create-a-cart.md = https://learn.microsoft.com/partner-center/developer/create-a-cart
# New commerce response sample.
# Repaired: the doc ends a property with ';'.
CART_RESPONSE_TEXT = r"""{
    "id": "3e22b548-647d-4223-9675-1fcb6cb57665",
    "creationTimestamp": "2021-08-18T17:29:52.3517492Z",
    "lastModifiedTimestamp": "2021-08-18T17:29:52.3517553Z",
    "expirationTimestamp": "2021-08-25T17:30:11.2406416Z",
    "lastModifiedUser": "da62a0dc-35e9-4601-b48e-a047bd3ec7c1",
    "status": "Active",
    "lineItems": [
        {
            "id": 0,
            "catalogItemId": "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
            "quantity": 1,
            "currencyCode": "USD",
            "billingCycle": "monthly",
            "termDuration": "P1M",
	    "customTermEndDate": "2022-02-19T00:00:00Z";
            "provisioningContext": {},
            "orderGroup": "0"
        },
        {
            "id": 1,
            "catalogItemId": "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ",
            "quantity": 2,
            "currencyCode": "USD",
            "billingCycle": "monthly",
            "termDuration": "P1Y",
            "participants": [
                {
                    "key": "transaction_reseller",
                    "value": "5357564"
                },
                {
                    "key": "additional_transaction_reseller",
                    "value": "517285"
                },
                {
                    "key": "additional_transaction_reseller",
                    "value": "5357563"
                }
            ],
            "provisioningContext": {},
            "orderGroup": "0"
        }
    ],
    "links": {
        "self": {
            "uri": "/customers/f81d98dd-c2f4-499e-a194-5619e260344e/carts/3e22b548-647d-4223-9675-1fcb6cb57665",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Cart"
    }
}"""
CART_RESPONSE = _json(CART_RESPONSE_TEXT, ('"2022-02-19T00:00:00Z";', '"2022-02-19T00:00:00Z",'))

# MicrosoftDocs/partner-center, developer/checkout-a-cart.md = https://learn.microsoft.com/partner-center/developer/checkout-a-cart
# 'Response example for a new commerce license-based subscription' (one order of CartCheckoutResult.orders, status pending).
# Repaired: a comma is missing in the doc.
CHECKOUT_ORDER_NCE_TEXT = r"""{
    "id": "a68736758d9c",
    "alternateId": "a68736758d9c",
    "referenceCustomerId": "94cd6638-11b6-4323-8c9f-6ae3088adc59",
    "billingCycle": "monthly",
    "currencyCode": "USD"
    "currencySymbol": "US$",
    "lineItems": [
        {
            "lineItemNumber": 0,
            "offerId": "CFQ7TTC0LF8S:0001:CFQ7TTC0N81H",
            "subscriptionId": "0c353b8e-da9d-4007-d0d4-bca8bd5b5ce1",
            "termDuration": "P1M",
            "transactionType": "New",
            "friendlyName": "Office 365 E5 without Audio Conferencing",
            "quantity": 1,
            "pricing": {
                "listPrice": 36.48,
                "discountedPrice": 36.48,
                "proratedPrice": 36.48,
                "price": 36.48,
                "extendedPrice": 36.48
            },
            "links": {
                "product": {
                    "uri": "/products/CFQ7TTC0LF8S?country=US",
                    "method": "GET",
                    "headers": []
                },
                "sku": {
                    "uri": "/products/CFQ7TTC0LF8S/skus/0001?country=US",
                    "method": "GET",
                    "headers": []
                },
                "availability": {
                    "uri": "/products/CFQ7TTC0LF8S/skus/0001/availabilities/CFQ7TTC0N81H?country=US",
                    "method": "GET",
                    "headers": []
                }
            }
        }
    ],
    "creationDate": "2023-04-18T22:03:45.4505136Z",
    "status": "pending",
    "transactionType": "UserPurchase",
    "links": {
        "self": {
            "uri": "/customers/94cd6638-11b6-4323-8c9f-6ae3088adc59/orders/a68736758d9c",
            "method": "GET",
            "headers": []
        },
        "provisioningStatus": {
            "uri": "/customers/94cd6638-11b6-4323-8c9f-6ae3088adc59/orders/a68736758d9c/provisioningstatus",
            "method": "GET",
            "headers": []
        },
        "patchOperation": {
            "uri": "/customers/94cd6638-11b6-4323-8c9f-6ae3088adc59/orders/a68736758d9c",
            "method": "PATCH",
            "headers": []
        }
    },
    "totalPrice": 36.48,
    "client": {},
    "attributes": {
        "objectType": "Order"
    }
}"""
CHECKOUT_ORDER_NCE = _json(
    CHECKOUT_ORDER_NCE_TEXT, ('"currencyCode": "USD"\n', '"currencyCode": "USD",\n')
)

# MicrosoftDocs/partner-center, developer/get-an-order-by-id.md = https://learn.microsoft.com/partner-center/developer/get-an-order-by-id
# Response example (status completed).
ORDER_COMPLETED_TEXT = r"""{
    "id": "YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1",
    "referenceCustomerId": "b0d70a69-4c42-4b27-b17b-91a835d8686a",
    "billingCycle": "one_time",
    "currencyCode": "USD",
    "currencySymbol" : "$",
    "lineItems": [
    {
        "lineItemNumber": 0,
        "offerId": "DZH318Z0BQ4Z:002L:DZH318Z0CMNP",
        "friendlyName": "Reserved_VM_Instance_Standard_NC12_AU_East_1_Year",
        "quantity": 1,
        "links": {
            "sku": {
                "uri": "/products/DZH318Z0BQ4Z/skus/002L?country=US",
                "method": "GET",
                "headers": []
            }
        }
    }
    ],
    "creationDate": "2018-03-13T22:49:54.3396949Z",
    "status": "completed",
    "links": {
        "provisioningStatus": {
            "uri": "/customers/b0d70a69-4c42-4b27-b17b-91a835d8686a/orders/YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1/provisioningstatus",
            "method": "GET",
            "headers": []
        },
        "self": {
            "uri": "/customers/b0d70a69-4c42-4b27-b17b-91a835d8686a/orders/YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Order"
    }
}"""
ORDER_COMPLETED = _json(ORDER_COMPLETED_TEXT)

# MicrosoftDocs/partner-center, developer/get-a-subscription-by-id.md = https://learn.microsoft.com/partner-center/developer/get-a-subscription-by-id
# 'Response example for a Microsoft Azure subscription': no termDuration, no billingCycle.
SUBSCRIPTION_AZURE_TEXT = r"""{
    "id": "A356AC8C-E310-44F4-BF85-C7F29044AF99",
    "entitlementId": "42226ED6-070A-4E0F-B80C-4CDFB3E97AA7",
    "offerId": "MS-AZR-0145P",
    "offerName": "Microsoft Azure",
    "friendlyName": "Microsoft Azure",
    "quantity": 1,
    "unitType": "Usage-based",
    "creationDate": "2016-05-10T07:30:05.427Z",
    "effectiveStartDate": "2016-05-10T00:00:00Z",
    "commitmentEndDate": "9999-12-10T00:00:00Z",
    "status": "active",
    "autoRenewEnabled": false,
    "billingType": "usage",
    "contractType": "subscription",
    "links": {
        "offer": {
            "uri": "/offers/MS-AZR-0145P?country=US",
            "method": "GET",
            "headers": []
        },
        "self": {
            "uri": "/customers/4d3cf487-70f4-4e1e-9ff1-b2bfce8d9f04/subscriptions/A356AC8C-E310-44F4-BF85-C7F29044AF99",
            "method": "GET",
            "headers": []
        }
    },
    "orderId": "B23FDEDD-D6BD-415A-8B71-3624C81C9644",
    "attributes": {
        "etag": "eyJpZCI6ImEzNTZhYzhjLWUzMTAtNDRmNC1iZjg1LWM3ZjI5MDQ0YWY5OSIsInZlcnNpb24iOjJ9",
        "objectType": "Subscription"
    }
}"""
SUBSCRIPTION_AZURE = _json(SUBSCRIPTION_AZURE_TEXT)

# MicrosoftDocs/partner-center, developer/get-a-subscription-by-id.md = https://learn.microsoft.com/partner-center/developer/get-a-subscription-by-id
# 'Response example for a new commerce subscription'.
# Repaired: a comma is missing in the doc.
SUBSCRIPTION_NCE_TEXT = r"""{
    "id": "a4c1340d-6911-4758-bba3-0c4c6007d161",
    "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
    "offerName": "Microsoft 365 Business Basic",
    "friendlyName": "Microsoft 365 Business Basic",
    "productType": {
        "id": "OnlineServicesNCE",
        "displayName": "OnlineServicesNCE"
    },
    "quantity": 15,
    "unitType": "Licenses",
    "hasPurchasableAddons": false,
    "creationDate": "2021-01-14T16:57:15.0966728Z",
    "effectiveStartDate": "2021-01-14T16:57:14.498252Z",
    "commitmentEndDate": "2022-01-13T00:00:00Z",
    "commitmentEndDateTime": "2022-01-13T23:59:59Z",
    "status": "expired",
    "autoRenewEnabled": false,
    "isTrial": false,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1Y",
    "renewalTermDuration": "",
    "refundOptions": [
        {
            "type": "Full",
            "expiresAt": "2021-01-15T00:00:00Z"
        }
    ],
    "isMicrosoftProduct": true,
    "partnerId": "",
    "attentionNeeded": false,
    "actionTaken": false,
    "contractType": "subscription",
    "links": {
        "product": {
            "uri": "/products/CFQ7TTC0LH18?country=US",
            "method": "GET",
            "headers": []
        },
        "sku": {
            "uri": "/products/CFQ7TTC0LH18/skus/0001?country=US",
            "method": "GET",
            "headers": []
        },
        "availability": {
            "uri": "/products/CFQ7TTC0LH18/skus/0001/availabilities/CFQ7TTC0K971?country=US",
            "method": "GET",
            "headers": []
        },
        "self": {
            "uri": "/customers/d8202a51-69f9-4228-b900-d0e081af17d7/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161",
            "method": "GET",
            "headers": []
        }
    },
    "publisherName": "Microsoft Corporation",
    "refundableQuantity": {
        "totalQuantity": 10,
        "details": [
            {
                "quantity": 10,
                "allowedUntilDateTime": "2021-01-24T20:39:17.182697Z"
            }
        ]
    }
    "orderId": "34b37d7340cc",
    "attributes": {
        "objectType": "Subscription"
    }
}"""
SUBSCRIPTION_NCE = _json(
    SUBSCRIPTION_NCE_TEXT, ('        ]\n    }\n    "orderId"', '        ]\n    },\n    "orderId"')
)

# MicrosoftDocs/partner-center, developer/get-all-of-a-customer-s-subscriptions.md = https://learn.microsoft.com/partner-center/developer/get-all-of-a-customer-s-subscriptions
# A software subscription, one item of the list response example (with cancellationAllowedUntilDate).
SUBSCRIPTION_SOFTWARE_TEXT = r"""{
            "id": "924671ba-eab9-45d7-95ed-dbd9477f182b",
            "offerId": "DG7GMGF0FKZV:0003:DG7GMGF0DQLM",
            "offerName": "SQL Server Enterprise - 2 Core License Pack - 3 year",
            "friendlyName": "SQL Server Enterprise - 2 Core License Pack - 3 year",
            "productType": {
                "id": "Software",
                "displayName": "Software"
            },
            "quantity": 1,
            "unitType": "Licenses",
            "hasPurchasableAddons": false,
            "creationDate": "2021-10-15T21:28:19.3058617Z",
            "effectiveStartDate": "2021-10-15T21:28:18.4786844Z",
            "commitmentEndDate": "2024-10-14T00:00:00Z",
            "cancellationAllowedUntilDate": "2021-11-14T23:59:00Z",
            "status": "active",
            "autoRenewEnabled": true,
            "isTrial": false,
            "billingType": "license",
            "billingCycle": "triennial",
            "termDuration": "P3Y",
            "renewalTermDuration": "",
            "isMicrosoftProduct": true,
            "partnerId": "",
            "attentionNeeded": false,
            "actionTaken": false,
            "contractType": "subscription",
            "links": {
                "product": {
                    "uri": "/products/DG7GMGF0FKZV?country=US",
                    "method": "GET",
                    "headers": []
                },
                "sku": {
                    "uri": "/products/DG7GMGF0FKZV/skus/0003?country=US",
                    "method": "GET",
                    "headers": []
                },
                "availability": {
                    "uri": "/products/DG7GMGF0FKZV/skus/0003/availabilities/DG7GMGF0DQLM?country=US",
                    "method": "GET",
                    "headers": []
                },
                "self": {
                    "uri": "/customers/954ca09a-1132-4088-bb58-30438dea2756/subscriptions/924671ba-eab9-45d7-95ed-dbd9477f182b",
                    "method": "GET",
                    "headers": []
                }
            },
            "publisherName": "Microsoft",
            "orderId": "12345678901",
            "attributes": {
                "objectType": "Subscription"
            }
        }"""
SUBSCRIPTION_SOFTWARE = _json(SUBSCRIPTION_SOFTWARE_TEXT)

# MicrosoftDocs/partner-center, developer/change-the-quantity-of-a-subscription.md = https://learn.microsoft.com/partner-center/developer/change-the-quantity-of-a-subscription
# 'Request example for new commerce subscription to reduce quantity': the full resource.
# Repaired: JSON has no comments.
PATCH_QUANTITY_REQUEST_TEXT = r"""{
    "id": "a4c1340d-6911-4758-bba3-0c4c6007d161",
    "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
    "offerName": "Microsoft 365 Business Basic",
    "friendlyName": "Microsoft 365 Business Basic",
    "productType": {
        "id": "OnlineServicesNCE",
        "displayName": "OnlineServicesNCE"
    },
    "quantity": 1, // original value = 10
    "unitType": "Licenses",
    "hasPurchasableAddons": false,
    "creationDate": "2021-01-14T16:57:15.0966728Z",
    "effectiveStartDate": "2021-01-14T16:57:14.498252Z",
    "commitmentEndDate": "2022-01-13T00:00:00Z",
    "status": "active",
    "autoRenewEnabled": true,
    "isTrial": false,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1Y",
    "renewalTermDuration": "",
    "refundOptions": [
        {
            "type": "Full",
            "expiresAt": "2021-01-15T00:00:00Z"
        }
    ],
    "isMicrosoftProduct": true,
    "partnerId": "",
    "attentionNeeded": false,
    "actionTaken": false,
    "contractType": "subscription",
    "links": {
        "product": {
            "uri": "/products/CFQ7TTC0LH18?country=US",
            "method": "GET",
            "headers": []
        },
        "sku": {
            "uri": "/products/CFQ7TTC0LH18/skus/0001?country=US",
            "method": "GET",
            "headers": []
        },
        "availability": {
            "uri": "/products/CFQ7TTC0LH18/skus/0001/availabilities/CFQ7TTC0K971?country=US",
            "method": "GET",
            "headers": []
        },
        "self": {
            "uri": "/customers/d8202a51-69f9-4228-b900-d0e081af17d7/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161",
            "method": "GET",
            "headers": []
        }
    },
    "publisherName": "Microsoft Corporation",
    "refundableQuantity": {
        "totalQuantity": 10,
        "details": [
            {
                "quantity": 10,
                "allowedUntilDateTime": "2021-01-24T20:39:17.182697Z"
            }
        ]
    },
    "orderId": "34b37d7340cc",
    "attributes": {
        "objectType": "Subscription"
    }
}"""
PATCH_QUANTITY_REQUEST = _json(
    PATCH_QUANTITY_REQUEST_TEXT, ('"quantity": 1, // original value = 10', '"quantity": 1,')
)

# MicrosoftDocs/partner-center, developer/create-scheduled-changes.md = https://learn.microsoft.com/partner-center/developer/create-scheduled-changes
# Request example: the full resource with scheduledNextTermInstructions.
# Repaired: a comma is missing in the doc.
# Repaired: JSON has no comments.
# Repaired: trailing comma.
# Repaired: trailing comma.
SCHEDULED_CHANGE_REQUEST_TEXT = r"""{
    "id": "6e7aa601-629e-461b-8933-0898c3cc3c7c",
    "offerId": "DZH318Z0BXWC:0001:DZH318Z0BMJX",
    "offerName": "offer Name",
    "friendlyName": "friendly Name",
    "quantity": 1,
    "customTermEndDate": "2019-01-09T00:21:45.9263727",
    "unitType": "License(s)",
    "hasPurchasableAddons": false,
    "creationDate": "2019-01-04T01:00:12.6647304Z",
    "effectiveStartDate": "2019-01-09T00:21:45.9263727+00:00",
    "commitmentEndDate": "2019-02-08T00:21:45.9263727+00:00",
    "status": "active",
    "autoRenewEnabled": true,
    "scheduledNextTermInstructions": {
      "product": {
         "productId":  "DG7GMGF0DVSV",
         "skuId":  "000P",
         "availabilityId":  "DG7GMGF0F3Q9",
         "billingCycle":  "Annual",
         "termDuration":  "P3Y",
         "promotionId": "39NFJQT1PFPJ:000H:39NFJQT1Q5DK"
        },
      "quantity":  1
      "customTermEndDate" : "2019-01-09T00:21:45.9263727",
     },  // original value = null
    "isTrial": false,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1M",
    "refundOptions": [{
        "type": "Full",
        "expiresAt": "2019-01-10T00:21:45.9263727+00:00"
    }],
    "isMicrosoftProduct": false,
    "partnerId": "",
    "contractType": "subscription",
    "publisherName": "publisher Name",
    "orderId": "ImxjLNL4_fOc-2KoyOxGTZcrlIquzls11",
    "attributes": {"objectType": "Subscription"},
}"""
SCHEDULED_CHANGE_REQUEST = _json(
    SCHEDULED_CHANGE_REQUEST_TEXT,
    ('"quantity":  1\n', '"quantity":  1,\n'),
    ("},  // original value = null", "},"),
    (
        '"customTermEndDate" : "2019-01-09T00:21:45.9263727",\n     }',
        '"customTermEndDate" : "2019-01-09T00:21:45.9263727"\n     }',
    ),
    (
        '"attributes": {"objectType": "Subscription"},\n}',
        '"attributes": {"objectType": "Subscription"}\n}',
    ),
)

# MicrosoftDocs/partner-center, developer/transition-a-new-commerce-subscription.md = https://learn.microsoft.com/partner-center/developer/transition-a-new-commerce-subscription
# GET .../transitionEligibilities?eligibilityType=immediate, response example.
TRANSITION_ELIGIBILITIES_TEXT = r"""{
  "totalCount": 2,
  "items": [
    {
      "operationId": "1caf8ec7-62cc-4ab5-b35d-572d2a62974c",
      "catalogItemId": "CFQ7TTC0KZCR:0001:CFQ7TTC0K71H",
      "title": "Microsoft 365 E5 Test Sku Title",
      "description": "Microsoft 365 E5 Test Sku Description",
      "quantity": 1,
      "subscriptionEligibilities": [
        {
          "isEligible": false,
          "subscriptionId": "92301b7d-7598-4938-d6f2-d31e080e9da6",
          "subscriptionFriendlyName": "Microsoft 365 Business Premium",
          "subscriptionTermDuration": "P1M",
          "subscriptionBillingCycle": "monthly",
          "errors": [
            {
              "code": 3,
              "description": "The subscription's term duration is shorter than the source subscription's term duration."
            }
          ]
        },
        {
          "isEligible": true,
          "subscriptionId": "151467a1-4246-4a00-da7b-3405463d9b78",
          "subscriptionFriendlyName": "Microsoft 365 Business Premium",
          "subscriptionTermDuration": "P1Y",
          "subscriptionBillingCycle": "monthly",
          "errors": []
        }
      ],
      "eligibilities": [
        {
          "isEligible": true,
          "transitionType": "transition_only",
          "errors": []
        },
        {
          "isEligible": false,
          "transitionType": "transition_with_license_transfer",
          "errors": [
            {
              "code": 3,
              "description": "Subscription cannot be transitioned because there are conflicting services."
            }
          ]
        }
      ],
      "attributes": {
        "objectType": "TransitionEligibility"
      }
    },
    {
      "operationId": "1caf8ec7-62cc-4ab5-b35d-572d2a62974c",
      "catalogItemId": "CFQ7TTC0L4M3:0001:CFQ7TTC0K78T",
      "title": "Business Premium Test Sku Title",
      "description": "Business Premium Test Sku Description",
      "quantity": 1,
      "eligibilities": [
        {
          "isEligible": false,
          "transitionType": "transition_with_license_transfer",
          "errors": [
            {
              "code": 3,
              "description": "Subscription cannot be transitioned because there are conflicting services."
            }
          ]
        }
      ],
      "attributes": {
        "objectType": "TransitionEligibility"
      }
    }
  ],
  "attributes": {
    "objectType": "Collection"
  }
}"""
TRANSITION_ELIGIBILITIES = _json(TRANSITION_ELIGIBILITIES_TEXT)

# MicrosoftDocs/partner-center, developer/transition-a-new-commerce-subscription.md = https://learn.microsoft.com/partner-center/developer/transition-a-new-commerce-subscription
# POST .../transitions, request example.
TRANSITION_REQUEST_TEXT = r"""{
    "fromCatalogItemId": "CFQ7TTC0LF8Q:0001:CFQ7TTC0K39X",
    "fromSubscriptionId": "e487e8dc-421e-4275-cb42-3c1c8daccf70",
    "toCatalogItemId": "CFQ7TTC0LF8R:0001:CFQ7TTC0KCSV",
    "toSubscriptionId": "0af52192-4a2a-4364-d25b-c8ecab3a5697",
    "quantity": 2,
    "termDuration": "P1M",
    "billingCycle": "Monthly",
    "transitionType": "transition_only"
}"""
TRANSITION_REQUEST = _json(TRANSITION_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/transition-a-new-commerce-subscription.md = https://learn.microsoft.com/partner-center/developer/transition-a-new-commerce-subscription
# POST .../transitions, response example.
# Repaired: a comma is missing in the doc.
TRANSITION_RESPONSE_TEXT = r"""{
    "fromCatalogItemId": "CFQ7TTC0LF8Q:0001:CFQ7TTC0K39X",
    "fromSubscriptionId": "e487e8dc-421e-4275-cb42-3c1c8daccf70",
    "toCatalogItemId": "CFQ7TTC0LF8R:0001:CFQ7TTC0KCSV",
    "toSubscriptionId": "0af52192-4a2a-4364-d25b-c8ecab3a5697",
    "quantity": 2,
    "termDuration": "P1M",
    "billingCycle": "Monthly",
    "transitionType": "transition_only"
    "Events": [
        {
            "name": "Conversion",
            "status": "Started ",
            "timestamp": "2021-01-08T18:01:14.7488618Z",
            "attributes":
            {
                "objectType": "TransitionEvent"
            }
        }
    ],
    "attributes":
    {
        "objectType": "Transition"
    }
}"""
TRANSITION_RESPONSE = _json(
    TRANSITION_RESPONSE_TEXT,
    (
        '"transitionType": "transition_only"\n    "Events"',
        '"transitionType": "transition_only",\n    "Events"',
    ),
)

# MicrosoftDocs/partner-center, developer/api-throttling-guidance.md = https://learn.microsoft.com/partner-center/developer/api-throttling-guidance
# The 429 body (sent with 'Retry-After: 57').
THROTTLED_TEXT = (
    r"""{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"""
)
THROTTLED = _json(THROTTLED_TEXT)

# MicrosoftDocs/partner-center, developer/get-agreement-metadata.md = https://learn.microsoft.com/partner-center/developer/get-agreement-metadata
# GET /v1/agreements without agreementType: the Microsoft Cloud Agreement, not the MCA.
MCA_NOT_ASKED_RESPONSE_TEXT = r"""{
    "totalCount": 1,
    "items": [
        {
            "templateId": "998b88de-aa99-4388-a42c-1b3517d49490",
            "agreementType": "MicrosoftCloudAgreement",
            "agreementLink": "https://learn.microsoft.com/partner-center/agreements",
            "versionRank": 0
        }
    ],
    "links": {
        "self": {
            "uri": "/agreements",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Collection"
    }
}"""
MCA_NOT_ASKED_RESPONSE = _json(MCA_NOT_ASKED_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/get-a-list-of-availabilities-for-a-sku.md = https://learn.microsoft.com/partner-center/developer/get-a-list-of-availabilities-for-a-sku
# GET /v1/products/{product-id}/skus/{sku-id}/availabilities?country=US, response example.
# Repaired: the doc elides two objects as "{ ... }".
AVAILABILITIES_TEXT = r"""{
    "totalCount": 1,
    "items": [
        {
            "id": "DZH318XZXVNF",
            "productId": "DZH318Z0BQ3Q",
            "skuId": "0001",
            "catalogItemId": "DZH318Z0BQ3Q:0001:DZH318XZXVNF",
            "defaultCurrency": {
                "code": "USD",
                "symbol": "$"
            },
            "segment": "commercial",
            "country": "US",
            "isPurchasable": true,
            "isRenewable": false,
            "terms": [{
                "duration": "P1Y",
                "description": "1 Year Prepaid"
            }],
            "product": { ... },
            "sku": { ... },
            "links": {
                "self": {
                    "uri": "/products/DZH318Z0BQ3Q/skus/0001/availabilities/DZH318Z0HMKQ?country=US",
                    "method": "GET",
                    "headers": []
                }
            }
        }
    ],
    "links": {
        "self": {
            "uri": "/products/DZH318Z0BQ3Q/skus/0001/availabilities?country=US&targetSegment=commercial",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Collection"
    }
}"""
AVAILABILITIES = _json(
    AVAILABILITIES_TEXT, ('            "product": { ... },\n            "sku": { ... },\n', "")
)

# MicrosoftDocs/partner-center, developer/retrieve-a-list-of-indirect-resellers.md = https://learn.microsoft.com/partner-center/developer/retrieve-a-list-of-indirect-resellers
# GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf, response example.
RESELLERS_RESPONSE_TEXT = r"""{
    "totalCount": 2,
    "items": [{
            "id": "484e548c-f5f3-4528-93a9-c16c6373cb59",
            "name": "First Up Consultants",
            "relationshipType": "is_indirect_cloud_solution_provider_of",
            "state": "Active",
            "mpnId": "4847383",
            "location": "US",
            "attributes": {
                "objectType": "PartnerRelationship"
            }
        }, {
            "id": "b01b1487-b36e-4e6d-9b5e-0b58974c4b28",
            "name": "ReleCloud",
            "relationshipType": "is_indirect_cloud_solution_provider_of",
            "state": "Active",
            "mpnId": "4847433",
            "location": "BR",
            "attributes": {
                "objectType": "PartnerRelationship"
            }
        }
    ],
    "attributes": {
        "objectType": "Collection"
    }
}"""
RESELLERS_RESPONSE = _json(RESELLERS_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/get-indirect-resellers-of-a-customer.md = https://learn.microsoft.com/partner-center/developer/get-indirect-resellers-of-a-customer
# GET /v1/customers/{customer-id}/relationships, response example.
CUSTOMER_RESELLERS_RESPONSE_TEXT = r"""{
    "totalCount": 1,
    "items": [{
            "id": "484e548c-f5f3-4528-93a9-c16c6373cb59",
            "name": "First Up Consultants",
            "relationshipType": "is_indirect_cloud_solution_provider_of",
            "mpnId": "4847383",
            "attributes": {
                "objectType": "PartnerRelationship"
            }
        }
    ],
    "attributes": {
        "objectType": "Collection"
    }
}"""
CUSTOMER_RESELLERS_RESPONSE = _json(CUSTOMER_RESELLERS_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/request-reseller-relationship.md = https://learn.microsoft.com/partner-center/developer/request-reseller-relationship
# GET /v1/customers/relationshiprequests, response example.
RELATIONSHIP_REQUEST_RESPONSE_TEXT = r"""{
    "url": "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=3b33e682-00c3-41ee-9dd2-a548adf56438&msppId=0&DAP=false#/BillingAccounts/partner-invitation",
    "attributes": {
        "objectType": "RelationshipRequest"
    }
}"""
RELATIONSHIP_REQUEST_RESPONSE = _json(RELATIONSHIP_REQUEST_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/validate-an-address.md = https://learn.microsoft.com/partner-center/developer/validate-an-address
# POST /v1/validations/address, request example.
ADDRESS_REQUEST_TEXT = r"""{
    "AddressLine1": "1 Microsoft Way",
    "City": "Redmond",
    "State": "WA",
    "PostalCode": "98052",
    "Country": "US"
}"""
ADDRESS_REQUEST = _json(ADDRESS_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/validate-an-address.md = https://learn.microsoft.com/partner-center/developer/validate-an-address
# Response example: status VerifiedShippable.
ADDRESS_VERIFIED_RESPONSE_TEXT = r"""{
    "originalAddress": {
        "country": "US",
        "city": "Redmond",
        "state": "WA",
        "addressLine1": "1 Microsoft Way",
        "postalCode": "98052"
    },
    "suggestedAddresses": [
        {
            "country": "US",
            "city": "Redmond",
            "state": "WA",
            "addressLine1": "1 Microsoft Way",
            "postalCode": "98052-8300"
        }
    ],
    "status": "VerifiedShippable"
}"""
ADDRESS_VERIFIED_RESPONSE = _json(ADDRESS_VERIFIED_RESPONSE_TEXT)

# MicrosoftDocs/partner-center, developer/validate-an-address.md = https://learn.microsoft.com/partner-center/developer/validate-an-address
# Second request example (no street number).
ADDRESS_PARTIAL_REQUEST_TEXT = r"""{
    "AddressLine1": "Microsoft Way",
    "City": "Redmond",
    "State": "WA",
    "PostalCode": "98052",
    "Country": "US"
}"""
ADDRESS_PARTIAL_REQUEST = _json(ADDRESS_PARTIAL_REQUEST_TEXT)

# MicrosoftDocs/partner-center, developer/validate-an-address.md = https://learn.microsoft.com/partner-center/developer/validate-an-address
# Second response example: status StreetPartial with a validationMessage.
ADDRESS_PARTIAL_RESPONSE_TEXT = r"""{
    "originalAddress": {
        "country": "US",
        "city": "Redmond",
        "state": "WA",
        "addressLine1": "Microsoft Way",
        "postalCode": "98052"
    },
    "suggestedAddresses": [
        {
            "country": "US",
            "city": "Redmond",
            "state": "WA",
            "addressLine1": "1 Microsoft Way",
            "postalCode": "98052-6399"
        }
    ],
    "status": "StreetPartial",
    "validationMessage": "Address field invalid for property: 'Region', 'PostalCode', 'City'"
}"""
ADDRESS_PARTIAL_RESPONSE = _json(ADDRESS_PARTIAL_RESPONSE_TEXT)

# --- transfers ----------------------------------------------------------------------------

# MicrosoftDocs/partner-center-sdk (ja-jp copy: develop/create-a-transfer.md, the JSON is
# Microsoft's) = https://learn.microsoft.com/partner-center/developer/create-a-transfer
# Response example (201 Created): a TransferEntity, status "Active", date-times.
TRANSFER_CREATED_TEXT = r"""{
    "id": "67c5b05b-09b5-47ba-9047-5056fe2afa4f",
    "status": "Active",
    "createdTime": "2020-03-24T20:44:14.9602781Z",
    "lastModifiedTime": "2020-03-24T20:44:15Z",
    "customerTenantId": "823c6c3f-9259-4d51-bae2-5dd06743177f",
    "partnertenantid": "da6c51b5-1246-4a42-b4ab-cbf38df54537",
    "sourcePartnerTenantId": "da6c51b5-1246-4a42-b4ab-cbf38df54537",
    "targetPartnerTenantId": "656218b1-80c9-40b2-83ae-3a2703b55271",
    "lastModifiedUser": "d0648481-b615-45c9-8cd1-ff87940dbdc4",
    "lineItems": [
        {
            "id": 0,
            "subscriptionId": "7291BFBF-1772-4C5B-A624-18B6152CD8CB",
            "offerId": "50E9A47A-7B4D-4970-9D90-CAE927F53753",
            "billingCycle": "annual",
            "friendlyName": "Dynamics 365 for Sales Enterprise Attach to Qualifying Dynamics 365 Base Offer",
            "quantity": 1,
            "addonItems": [
                {
                    "id": 0,
                    "subscriptionId": "D738C6C9-DDBD-46E9-B316-65F9D9B3ECB4",
                    "offerId": "2BCF9FE8-8B65-4FCF-9240-419203FB8CF4",
                    "billingCycle": "annual",
                    "friendlyName": "Dynamics 365 - Additional Production Instance (Qualified Offer)",
                    "quantity": 4
                }
            ]
        },
        {
            "id": 0,
            "subscriptionId": "6C0B221B-8DF9-4F4A-A5BB-4C9CBB7B27B0",
            "offerId": "455DDD41-32ED-4E2D-B3A2-BBCB22CAA467",
            "billingCycle": "annual",
            "friendlyName": "Dynamics 365 Customer Engagement Plan Patch",
            "quantity": 8,
            "addonItems": []
        }
    ],
    "links": {
        "self": {
            "uri": "/customers/823c6c3f-9259-4d51-bae2-5dd06743177f/transfers/67c5b05b-09b5-47ba-9047-5056fe2afa4f",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "TransferEntity"
    }
}"""
TRANSFER_CREATED = _json(TRANSFER_CREATED_TEXT)

# https://learn.microsoft.com/partner-center/developer/create-a-transfer ("Create a transfer
# for new commerce"), request body table: required sourcePartnerTenantId (GUID),
# sourcePartnerName, customerEmailId; optional customerName, targetPartnerTenantId,
# targetPartnerEmailId, targetProductTypes, partnerOnRecord (MPN ID, a transfer to an indirect
# provider), transferType (New Commerce); transfer-entity-resources adds expirationTime,
# completedTime to the answer. The page's JSON example is not stored here: these are the field
# names of its tables (not a verbatim body), which the fake server holds requests to.
TRANSFER_NCE_REQUIRED = ("sourcePartnerTenantId", "sourcePartnerName", "customerEmailId")
TRANSFER_NCE_FIELDS = (
    *TRANSFER_NCE_REQUIRED,
    "customerName",
    "targetPartnerTenantId",
    "targetPartnerEmailId",
    "targetProductTypes",
    "partnerOnRecord",
    "transferType",
    "lineItems",
)
TRANSFER_NCE_ANSWER_FIELDS = ("transferType", "customerEmailId", "expirationTime", "completedTime")

# https://learn.microsoft.com/partner-center/developer/update-a-transfer, "Request example for
# cancel transfer" (only the target partner that created it, only while it is pending): the
# entity PATCHed back with status "Cancel". The first fields as published:
TRANSFER_CANCEL_REQUEST_START = {
    "id": "43fb1d3a-79fe-45a9-863e-9a4acf17b630",
    "status": "Cancel",
    "targetPartnerTenantId": "aaaabbbb-0000-cccc-1111-dddd2222eeee",
}

# MicrosoftDocs/partner-center-sdk (ja-jp copy: develop/accept-a-transfer.md) =
# https://learn.microsoft.com/partner-center/developer/accept-a-transfer
# POST .../transfers/{transfer-id}/accept, response example: TransferSubmitResult (the first of
# its two orders kept; the second has the same shape).
TRANSFER_ACCEPTED_TEXT = r"""{
  "orders": [
    {
      "id": "21b92393-ffce-4bc7-87c5-62cfa897d8f9",
      "alternateId": "21b92393-ffce-4bc7-87c5-62cfa897d8f9",
      "referenceCustomerId": "b67f0b00-f9e8-4c57-bcb5-0b8b95c6ccf0",
      "billingCycle": "annual",
      "currencyCode": "USD",
      "lineItems": [
        {
          "lineItemNumber": 0,
          "offerId": "5344C201-3099-44E5-B333-C3EB0401EDE0",
          "termDuration": "P1Y",
          "transactionType": "New",
          "friendlyName": "Dynamics 365 Customer Engagement Plan (36 mo)",
          "quantity": 1,
          "partnerIdOnRecord": "5139005",
          "links": {
          }
        }
      ],
      "creationDate": "2020-03-25T22:24:23.183+00:00",
      "status": "completed",
      "transactionType": "UserPurchase",
      "links": {
        "self": {
          "uri": "/customers/b67f0b00-f9e8-4c57-bcb5-0b8b95c6ccf0/orders/21b92393-ffce-4bc7-87c5-62cfa897d8f9",
          "method": "GET",
          "headers": [ ]
        },
        "patchOperation": {
          "uri": "/customers/b67f0b00-f9e8-4c57-bcb5-0b8b95c6ccf0/orders/21b92393-ffce-4bc7-87c5-62cfa897d8f9",
          "method": "PATCH",
          "headers": [ ]
        }
      },
      "attributes": {
        "etag": "eyJpZCI6IjIxYjkyMzkzLWZmY2UtNGJjNy04N2M1LTYyY2ZhODk3ZDhmOSIsInZlcnNpb24iOjF9",
        "objectType": "Order"
      }
    }
  ],
  "transferErrors": [
    {
      "transferGroupId": "1",
      "lineItems": [
        {
          "id": 1,
          "subscriptionId": "637FF8F6-D842-4573-8DA8-89765356CD1A",
          "entitlementId": "637FF8F6-D842-4573-8DA8-89765356CD1A",
          "offerId": "A4179D30-CC09-49F0-977E-DC2CB70B874F",
          "friendlyName": "Project Online Essentials",
          "quantity": 1,
          "transferGroupId": "1",
          "addonItems": [ ],
          "partnerIdOnRecord": "5139005",
          "billingCycle": "annual",
          "sourceSubscriptionId": "637FF8F6-D842-4573-8DA8-89765356CD1A"
        }
      ],
      "code": 900103,
      "description": "Subscription SyncState must be SyncComplete for the Subscription to be a source in a Subscription Ownership Transfer. Subscription: 637ff8f6-d842-4573-8da8-89765356cd1a, current state: None",
      "attributes": {
        "objectType": "TransferError"
      }
    }
  ],
  "attributes": {
    "objectType": "TransferSubmitResult"
  }
}"""
TRANSFER_ACCEPTED = _json(TRANSFER_ACCEPTED_TEXT)

# --- catalog ------------------------------------------------------------------------------

# MicrosoftDocs/partner-center-sdk (ja-jp copy: develop/get-a-list-of-products.md) =
# https://learn.microsoft.com/partner-center/developer/get-a-list-of-products
# GET /v1/products?country=US&targetView=..., response example.
# Repaired: the doc elides further items as "...".
PRODUCTS_TEXT = r"""{
    "totalCount": 19,
    "items": [
        {
            "id": "DZH318Z0BQ3Q",
            "title": "Virtual Machines DSv2 Series",
            "description": "Dsv2-series instances are the latest generation of D-series instances that will carry more powerful CPUs which are on average about 35% faster than D-series instances, and carry the same memory and disk configurations as the D-series. Dsv2-series instances are based on the latest generation 2.4 GHz Intel Xeon® E5-2673 v3 (Haswell) processor, and with Intel Turbo Boost Technology 2.0 can go to 3.2 GHz.",
            "productType": {
                "id": "Azure",
                "displayName": "Azure",
                "subType": {
                "id": "VirtualMachines",
                "displayName": "VirtualMachines"
                }
            },
            "isMicrosoftProduct": true,
            "publisherName": "Microsoft",
            "links": {
                "skus": {
                    "uri": "/products/DZH318Z0BQ3Q/skus?country=US",
                    "method": "GET",
                    "headers": []
                },
                "self": {
                    "uri": "/products/DZH318Z0BQ3Q?country=US",
                    "method": "GET",
                    "headers": []
                }
            }
        },
        ...
    ],
    "links": {
        "self": {
            "uri": "/products?country=US&targetView=Azure",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Collection"
    }
}"""
PRODUCTS = _json(PRODUCTS_TEXT, ("        },\n        ...\n    ],", "        }\n    ],"))

# MicrosoftDocs/partner-center-sdk (ja-jp copy: develop/get-a-list-of-skus-for-a-product.md) =
# https://learn.microsoft.com/partner-center/developer/get-a-list-of-skus-for-a-product
# GET /v1/products/{product-id}/skus?country=US, response example (first item).
# Repaired: the doc elides further items as "[...]"; only the first item is kept.
SKUS_TEXT = r"""{
    "totalCount": 40,
    "items": [
        {
            "id": "0001",
            "productId": "DZH318Z0BQ5S",
            "title": "Reserved VM Instance, Standard_ND12s, US West 2, 1 Year",
            "description": "Reserved Virtual Machines Instance, Standard_ND12s, US West 2, 1 Year",
            "minimumQuantity": 1,
            "maximumQuantity": 999999999,
            "isTrial": false,
            "supportedBillingCycles": [
                "one_time"
            ],
            "purchasePrerequisites": [
                "AzureSubscriptionRegistration",
                "InventoryCheck"
            ],
            "provisioningVariables": [
                "Scope",
                "SubscriptionId"
            ],
            "dynamicAttributes": {
                "armSkuName": "Standard_ND12s",
                "cores": "12",
                "ram": "224",
                "skuDisplayName": "ND12",
                "category": "GPU",
                "armRegionName": "westus2",
                "duration": "1Year",
                "region": "US West 2",
                "diskType": "Hdd"
            },
            "links": {
                "availabilities": {
                    "uri": "/products/DZH318Z0BQ5S/skus/0001/availabilities?country=US",
                    "method": "GET",
                    "headers": []
                },
                "self": {
                    "uri": "/products/DZH318Z0BQ5S/skus/0001?country=US",
                    "method": "GET",
                    "headers": []
                }
            }
        }
    ],
    "links": {
        "self": {
            "uri": "/products/DZH318Z0BQ5S/skus?country=US",
            "method": "GET",
            "headers": []
        }
    },
    "attributes": {
        "objectType": "Collection"
    }
}"""
SKUS = _json(SKUS_TEXT)
