"""A fake Microsoft Graph GDAP service (tenantRelationships/delegatedAdminRelationships),
written from Microsoft's documentation only: it imports nothing of the portal's client code
(partner_center.gdap) and refuses any request that breaks the documented request shapes.

Sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/):
- api/tenantrelationship-post-delegatedadminrelationships.md: request properties
  accessDetails (required), autoExtendDuration (optional; P0D, PT0S, P180D), customer
  (optional; tenantId, displayName), displayName (required, at most 50 characters), duration
  (required, P1D..P2Y); answer 201 + Location, the example response below;
- api/delegatedadminrelationship-get.md: the example response (status active);
- api/delegatedadminrelationship-post-requests.md: {"action": "lockForApproval" | "terminate"}
  (required), 201 with the request (status "created");
- api/delegatedadminrelationship-update.md: PATCH needs If-Match (the etag), 200 with the
  relationship; learn.microsoft.com/graph/api/delegatedadminrelationship-update: the
  autoExtendDuration may change while the status is created or active;
- api/delegatedadminrelationship-post-accessassignments.md: accessContainer
  {accessContainerId, accessContainerType "securityGroup"} and accessDetails; 201 with the
  assignment (status "pending");
- resources/delegatedadminrelationship.md (duration P1D..P2Y) and
  resources/delegatedadminaccessassignment.md;
- api/tenantrelationship-list-delegatedadminrelationships.md: $top up to 300, $filter
  supported; this fake knows the one filter the portal sends (customer/tenantId eq '…') and
  refuses any other;
- resources/delegatedadminrelationshiprequest.md: "terminate" ends a relationship; this fake
  accepts it for an active one only (the status Microsoft then reports, terminationRequested,
  is one of resources/delegatedadminrelationship.md's statuses).
"""

import copy
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug import Request, Response

TOKEN = "gdap-test-token"
BASE = "/v1.0/tenantRelationships/delegatedAdminRelationships"

# api/tenantrelationship-post-delegatedadminrelationships.md, "Response" (verbatim).
CREATE_RESPONSE = json.loads(r"""{
  "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
  "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships",
  "@odata.etag": "W/\"JyIxODAwZTY4My0wMDAwLTAyMDAtMDAwMC02MTU0OWFmMDAwMDAiJw==\"",
  "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
  "displayName": "Contoso admin relationship",
  "duration": "P730D",
  "customer": {
    "tenantId": "4b827261-d21f-4aa9-b7db-7fa1f56fb163",
    "displayName": "Contoso subsidiary Inc"
  },
  "accessDetails": {
    "unifiedRoles": [
      {
        "roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de"
      },
      {
        "roleDefinitionId": "3a2c62db-5318-420d-8d74-23affee5d9d5"
      }
    ]
  },
  "status": "created",
  "autoExtendDuration": "P180D",
  "createdDateTime": "2022-02-10T11:24:42.3148266Z",
  "lastModifiedDateTime": "2022-02-10T11:24:42.3148266Z",
  "activatedDateTime": "",
  "endDateTime": "2024-02-10T11:24:42.3148266Z"
}""")

# api/delegatedadminrelationship-get.md, "Response" (verbatim).
GET_RESPONSE = json.loads(r"""{
  "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
  "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships/$entity",
  "@odata.etag": "W/\"JyIxODAwZTY4My0wMDAwLTAyMDAtMDAwMC02MTU0OWFmMDAwMDAiJw==\"",
  "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
  "displayName": "Contoso admin relationship",
  "duration": "P730D",
  "customer": {
    "tenantId": "4fdbff88-9d6b-42e0-9713-45c922ba8001",
    "displayName": "Contoso Inc"
  },
  "accessDetails": {
    "unifiedRoles": [
      {
        "roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"
      },
      {
        "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1"
      },
      {
        "roleDefinitionId": "e6d1a23a-da11-4be4-9570-befc86d067a7"
      }
    ]
  },
  "status": "active",
  "autoExtendDuration": "PT0S",
  "createdDateTime": "2022-02-10T11:24:42.3148266Z",
  "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
  "activatedDateTime": "2022-02-10T11:26:44.9941884Z",
  "endDateTime": "2024-02-10T11:24:42.3148266Z"
}""")

# api/tenantrelationship-list-delegatedadminrelationships.md, "Response" (verbatim): an
# active, a terminated and a reseller's (indirect) pending relationship.
LIST_RESPONSE = json.loads(r"""{
  "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships",
  "value": [
    {
      "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
      "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
      "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
      "displayName": "Contoso admin relationship",
      "duration": "P730D",
      "customer": {
        "tenantId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
        "displayName": "Contoso Inc"
      },
      "accessDetails": {
        "unifiedRoles": [
          {
            "roleDefinitionId": "dd4db9a0-cc4a-4213-9f9f-70242232d97e"
          }
        ]
      },
      "status": "active",
      "autoExtendDuration": "P180D",
      "createdDateTime": "2022-02-10T11:24:42.3148266Z",
      "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
      "activatedDateTime": "2022-02-10T11:26:44.9941884Z",
      "endDateTime": "2024-02-10T11:24:42.3148266Z"
    },
    {
      "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
      "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wKklILTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
      "id": "1041ef52-a99b-4245-a3be-cbd3fa7c5ed1-8777b240-c6f0-4469-9e98-a3205431b836",
      "displayName": "Contoso subsidiary relationship",
      "duration": "P30D",
      "customer": {
        "tenantId": "4b827261-d21f-4aa9-b7db-7fa1f56fb163",
        "displayName": "Contoso subsidiary Inc"
      },
      "accessDetails": {
        "unifiedRoles": [
          {
            "roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de"
          },
          {
            "roleDefinitionId": "3a2c62db-5318-420d-8d74-23affee5d9d5"
          }
        ]
      },
      "status": "terminated",
      "autoExtendDuration": "PT0S",
      "createdDateTime": "2021-09-29T16:52:39.6133896Z",
      "lastModifiedDateTime": "2021-10-29T16:57:20.2101088Z",
      "activatedDateTime": "2021-09-29T16:55:20.2101088Z",
      "endDateTime": "2021-10-29T16:57:20.2101088Z"
    },
    {
      "@odata.type": "#microsoft.graph.resellerDelegatedAdminRelationship",
      "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
      "id": "4b227261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
      "displayName": "Fabrikam admin relationship",
      "duration": "P180D",
      "customer": {
        "tenantId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
        "displayName": "Fabrikam Inc."
      },
      "accessDetails": {
        "unifiedRoles": [
          {
            "roleDefinitionId": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
          },
          {
            "roleDefinitionId": "e8611ab8-c189-46e8-94e1-60213ab1f814"
          },
          {
            "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1"
          },
          {
            "roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"
          },
          {
            "roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
          },
          {
            "roleDefinitionId": "f023fd81-a637-4b56-95fd-791ac0226033"
          },
          {
            "roleDefinitionId": "9360feb5-f418-4baa-8175-e2a00bac4301"
          },
          {
            "roleDefinitionId": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
          },
          {
            "roleDefinitionId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
          }
        ]
      },
      "status": "approvalPending",
      "autoExtendDuration": "PT0S",
      "createdDateTime": "2022-02-10T11:24:42.3148266Z",
      "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
      "activatedDateTime": null,
      "endDateTime": null,
      "isPartnerConsentPending": true,
      "indirectProviderTenantId": "60ea59db-a506-485e-94c5-d115f369e239"
    }
  ]
}""")

# api/delegatedadminrelationship-post-requests.md, "Response" (verbatim).
REQUEST_RESPONSE = json.loads(r"""{
  "@odata.type": "#microsoft.graph.delegatedAdminRelationshipRequest",
  "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#requests",
  "id": "5a6666c9-7282-0a41-67aa-25a5a3fbf339",
  "action": "lockForApproval",
  "status": "created",
  "createdDateTime": "2022-02-10T10:55:47.1180588Z",
  "lastModifiedDateTime": "2022-02-10T10:55:47.1180588Z"
}""")

# api/delegatedadminrelationship-post-accessassignments.md, "Response" (verbatim).
ASSIGNMENT_RESPONSE = json.loads(r"""{
  "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
  "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments",
  "@odata.etag": "W/\"JyIxODAwZTY4My0wMDAwLTAyMDAtMDAwMC02MTU0OWFmMDAwMDAiJw==\"",
  "id": "a9d6cf90-083a-47dc-ace2-1da98be3f344",
  "status": "pending",
  "createdDateTime": "2022-02-13T10:33:52.3182097Z",
  "lastModifiedDateTime": "2022-02-13T10:33:52.3182097Z",
  "accessContainer": {
    "accessContainerId": "869713c9-0b28-4d08-8949-ae07ae1bf528",
    "accessContainerType": "securityGroup"
  },
  "accessDetails": {
    "unifiedRoles": [
      {
        "roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de"
      },
      {
        "roleDefinitionId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
      },
      {
        "roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"
      },
      {
        "roleDefinitionId": "3a2c62db-5318-420d-8d74-23affee5d9d5"
      }
    ]
  }
}""")

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DURATION = re.compile(r"^P(\d+)D$")


def _json(data, status=200, headers=None):
    return Response(
        json.dumps(data), status=status, content_type="application/json", headers=headers or {}
    )


def _bad(message: str):
    return _json({"error": {"code": "BadRequest", "message": message}}, 400)


def _roles_ok(details) -> str | None:
    if not isinstance(details, dict) or set(details) != {"unifiedRoles"}:
        return "accessDetails must hold unifiedRoles only"
    roles = details["unifiedRoles"]
    if not roles or not all(
        isinstance(r, dict) and set(r) == {"roleDefinitionId"} and GUID.match(r["roleDefinitionId"])
        for r in roles
    ):
        return "unifiedRoles must be [{roleDefinitionId: GUID}]"
    return None


@dataclass
class FakeGdap:
    base_url: str
    relationships: dict[str, dict] = field(default_factory=dict)
    assignments: dict[str, list[dict]] = field(default_factory=dict)
    seen: list = field(default_factory=list)  # (method, path, body, headers)
    page_size: int = 300

    def __call__(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.data else None
        self.seen.append((request.method, request.path, body, dict(request.headers)))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token is empty.",
                    }
                },
                401,
            )
        path = request.path
        if request.method == "POST" and path == BASE:
            return self.create(body)
        if request.method == "GET" and path == BASE:
            return self.page(request.args)
        m = re.fullmatch(BASE + r"/([^/]+)(/requests|/accessAssignments)?", path)
        if not m or m.group(1) not in self.relationships:
            return _json({"error": {"code": "NotFound", "message": "Relationship not found"}}, 404)
        rid, tail = m.group(1), m.group(2)
        rel = self.relationships[rid]
        if request.method == "GET" and not tail:
            return _json(rel)
        if request.method == "PATCH" and not tail:
            return self.update(rel, body, request.headers.get("If-Match"))
        if request.method == "POST" and tail == "/requests":
            if not isinstance(body, dict) or set(body) != {"action"}:
                return _bad("the request body holds exactly 'action'")
            if body["action"] not in ("lockForApproval", "terminate"):
                return _bad(f"unknown action {body['action']!r}")
            if body["action"] == "lockForApproval":
                if rel["status"] != "created":
                    return _bad("only a created relationship can be locked")
                rel["status"] = "approvalPending"
            elif rel["status"] != "active":
                return _bad("only an active relationship can be terminated")
            else:
                rel["status"] = "terminationRequested"
            answer = copy.deepcopy(REQUEST_RESPONSE)
            answer["action"] = body["action"]
            return _json(answer, 201, {"Location": f"{self.base_url}{path}/{answer['id']}"})
        if tail == "/accessAssignments":
            if request.method == "GET":
                return _json({"value": self.assignments.get(rid, [])})
            return self.assign(rid, rel, body)
        return _json({"error": {"code": "BadRequest", "message": "unsupported"}}, 405)

    def page(self, args):
        """The collection, `page_size` at a time, continued by the whole @odata.nextLink
        (tenantrelationship-list-delegatedadminrelationships.md: $top up to 300)."""
        top = int(args.get("$top", "300"))
        if not 1 <= top <= 300:
            return _bad("$top supports up to 300 objects")
        start = int(args.get("$skiptoken", "0"))
        items = list(self.relationships.values())
        if "$filter" in args:  # the one filter this fake knows (OData: customer's tenant)
            m = re.fullmatch(r"customer/tenantId eq '([0-9a-f-]{36})'", args["$filter"])
            if not m:
                return _bad(f"unsupported $filter {args['$filter']!r}")
            items = [r for r in items if r.get("customer", {}).get("tenantId") == m.group(1)]
        size = min(top, self.page_size)
        answer = {"value": items[start : start + size]}
        if start + size < len(items):
            query = {"$top": top, "$skiptoken": start + size}
            if "$filter" in args:
                query["$filter"] = args["$filter"]
            answer["@odata.nextLink"] = f"{self.base_url}{BASE}?{urlencode(query)}"
        return _json(answer)

    def create(self, body):
        if not isinstance(body, dict):
            return _bad("JSON body required")
        allowed = {"displayName", "duration", "customer", "accessDetails", "autoExtendDuration"}
        if set(body) - allowed:
            return _bad(f"unknown properties {sorted(set(body) - allowed)}")
        for required in ("displayName", "duration", "accessDetails"):
            if required not in body:
                return _bad(f"{required} is required")
        if not 1 <= len(body["displayName"]) <= 50:
            return _bad("displayName: at most 50 characters")
        if any(r["displayName"] == body["displayName"] for r in self.relationships.values()):
            return _bad("displayName must be unique")
        days = DURATION.match(body["duration"])
        if not days or not 1 <= int(days.group(1)) <= 730:
            return _bad("duration must be between P1D and P2Y")
        problem = _roles_ok(body["accessDetails"])
        if problem:
            return _bad(problem)
        if body.get("autoExtendDuration", "PT0S") not in ("P0D", "PT0S", "P180D"):
            return _bad("autoExtendDuration: P0D, PT0S or P180D")
        customer = body.get("customer", {})
        if set(customer) - {"tenantId", "displayName"} or (
            "tenantId" in customer and not GUID.match(customer["tenantId"])
        ):
            return _bad("customer holds tenantId (GUID) and displayName")
        rel = copy.deepcopy(CREATE_RESPONSE)
        rid = f"{len(self.relationships) + 1:08d}-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0"
        rel.update(
            id=rid,
            displayName=body["displayName"],
            duration=body["duration"],
            customer=customer,
            accessDetails=body["accessDetails"],
            autoExtendDuration=body.get("autoExtendDuration", "PT0S"),
        )
        self.relationships[rid] = rel
        return _json(rel, 201, {"Location": f"{self.base_url}{BASE}/{rid}"})

    def update(self, rel, body, if_match):
        if not if_match:
            return _bad("If-Match is required")
        if if_match != rel["@odata.etag"]:
            return _json({"error": {"code": "PreconditionFailed", "message": "etag"}}, 412)
        if not isinstance(body, dict) or not body:
            return _bad("JSON body required")
        if set(body) == {"autoExtendDuration"}:
            if rel["status"] not in ("created", "active"):
                return _bad("autoExtendDuration changes only while created or active")
            if body["autoExtendDuration"] not in ("P0D", "PT0S", "P180D"):
                return _bad("autoExtendDuration: P0D, PT0S or P180D")
        elif rel["status"] != "created":
            return _bad("a relationship can only be updated while created")
        rel.update(body)
        rel["@odata.etag"] = f'W/"{len(self.seen)}"'
        return _json(rel)

    def assign(self, rid, rel, body):
        if not isinstance(body, dict) or set(body) != {"accessContainer", "accessDetails"}:
            return _bad("accessContainer and accessDetails")
        container = body["accessContainer"]
        if (
            set(container) != {"accessContainerId", "accessContainerType"}
            or container["accessContainerType"] != "securityGroup"
            or not GUID.match(container["accessContainerId"])
        ):
            return _bad("accessContainer {accessContainerId: GUID, accessContainerType}")
        problem = _roles_ok(body["accessDetails"])
        if problem:
            return _bad(problem)
        if rel["status"] != "active":
            return _bad("the relationship is not active")
        answer = copy.deepcopy(ASSIGNMENT_RESPONSE)
        answer.update(accessContainer=container, accessDetails=body["accessDetails"])
        self.assignments.setdefault(rid, []).append(answer)
        return _json(answer, 201, {"Location": f"{self.base_url}{BASE}/{rid}/accessAssignments/x"})
