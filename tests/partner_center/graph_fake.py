"""A fake Microsoft Graph partner billing export service, written from Microsoft's documented
shapes only (it imports nothing of the portal's client code).

Sources (learn.microsoft.com, rendered from microsoftgraph/microsoft-graph-docs-contrib):
- POST …/usage/unbilled/export → "HTTP/1.1 202 Accepted" + Location of the operation
  (api-reference/v1.0/api/partners-billing-unbilledusage-export.md);
- GET …/operations/{id}: runningOperation / exportSuccessOperation with
  "resourceLocation@odata.navigationLink" / failedOperation {"error": {"message": "No data
  available", "code": "5000"}}, all 200 OK; Retry-After while the data is not ready
  (api-reference/v1.0/api/partners-billing-operation-get.md, partners-billing-api-overview);
- GET …/manifests/{id}: the manifest example verbatim but for rootDirectory, which points at
  this server (api-reference/v1.0/api/partners-billing-manifest-get.md);
- blobs: gzip-compressed JSON lines ("compressedJSONLines", partners-billing-manifest.md), the
  attribute names of the attributeSet table (partners-billing-attributeset.md).
"""

import gzip
import json
import re
from dataclasses import dataclass, field

from werkzeug import Request, Response

TOKEN = "graph-test-token"
OPERATION = "9ab9cb54-d07f-4f52-9ea6-a09d7de52c14"
MANIFEST = "6fe687d7-1e0f-4bd6-9091-4672691f64bc"
SAS = (
    "skoid=0c414a25-fd23-4785-815f-1258467f9ab7&sktid=975f013f-7f24-47e8-a7d3-abc4752bf346"
    "&skt=2023-12-13T00%3A37%3A17Z&ske=2023-12-14T00%3A37%3A17Z&sks=b&skv=2021-08-06"
    "&sv=2021-08-06&se=2023-12-13T12%3A37%3A17Z&sr=d&sp=rl&sdd=7"
    "&sig=RpVY0WBGUHJ2APB3N76jtMak8loAWY4oiA0%2FaoJX1bM%3D"
)
BLOB_DIR = (
    "/billedusagefastpath/v1/PartnerTenantId=0e195b37-4574-4539-bc42-0e539b9684c0/"
    "BillingMonth=202310/InvoiceId=G031809528/InvoiceVersion=202311/Fragment=full/"
    "PartitionType=default"
)


def _json(data, status=200, headers=None):
    return Response(
        json.dumps(data), status=status, content_type="application/json", headers=headers or {}
    )


def gzip_json_lines(lines: list[str]) -> bytes:
    return gzip.compress("".join(line + "\n" for line in lines).encode())


@dataclass
class FakeGraph:
    base_url: str
    blobs: dict[str, bytes] = field(default_factory=dict)  # name → gzip JSON lines
    running_polls: int = 1  # answers "running" this many times first
    retry_after: str = "2"
    fail: bool = False
    inline_manifest: bool = False
    seen: list = field(default_factory=list)

    def manifest(self) -> dict:
        return {
            "id": MANIFEST,
            "schemaVersion": "1",
            "dataFormat": "compressedJSON",
            "createdDateTime": "2023-03-09T06:34:34.87Z",
            "eTag": "WYjLro78HdMg6vUWR",
            "partnerTenantId": "0e195b37-4574-4539-bc42-0e539b9684c0",
            "rootDirectory": f"{self.base_url}{BLOB_DIR}",
            "sasToken": SAS,
            "partitionType": "Default",
            "blobCount": len(self.blobs),
            "blobs": [{"name": name, "partitionValue": "default"} for name in self.blobs],
        }

    def __call__(self, request: Request) -> Response:
        self.seen.append(
            (
                request.method,
                request.path,
                request.query_string.decode(),
                request.headers.get("Authorization"),
            )
        )
        path = request.path
        if path.startswith(BLOB_DIR + "/"):
            if request.query_string.decode() != SAS or request.headers.get("Authorization"):
                return Response("AuthenticationFailed", status=403)
            return Response(
                self.blobs[path.rsplit("/", 1)[1]], content_type="application/octet-stream"
            )
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
        if request.method == "POST" and re.fullmatch(
            r"/v1.0/reports/partners/billing/(usage/(un)?billed|reconciliation/billed)"
            r"/export",
            path,
        ):
            body = request.get_json()
            if "usage/unbilled" in path and not {"currencyCode", "billingPeriod"} <= set(body):
                return _json({"error": {"code": "BadRequest", "message": "missing"}}, 400)
            return Response(
                status=202,
                headers={
                    "Location": f"{self.base_url}/v1.0/reports/partners/billing/operations/"
                    f"{OPERATION}"
                },
            )
        if path == f"/v1.0/reports/partners/billing/operations/{OPERATION}":
            common = {
                "id": OPERATION,
                "createdDateTime": "2023-03-09T08:12:53",
                "lastActionDateTime": "2023-03-09T08:37:48.5046691Z",
            }
            if self.running_polls:
                self.running_polls -= 1
                return _json(
                    {
                        "@odata.type": "#microsoft.graph.partners.billing.runningOperation",
                        **common,
                        "status": "running",
                    },
                    headers={"Retry-After": self.retry_after},
                )
            if self.fail:
                return _json(
                    {
                        "@odata.type": "#microsoft.graph.partners.billing.failedOperation",
                        **common,
                        "status": "failed",
                        "error": {"message": "No data available", "code": "5000"},
                    }
                )
            success = {
                "@odata.type": "#microsoft.graph.partners.billing.exportSuccessOperation",
                **common,
                "status": "succeeded",
            }
            if self.inline_manifest:
                return _json(
                    {**success, "status": "completed", "resourceLocation": self.manifest()}
                )
            return _json(
                {
                    **success,
                    "resourceLocation@odata.navigationLink": (
                        f"{self.base_url}/v1.0/reports/partners/billing/manifests/{MANIFEST}"
                    ),
                }
            )
        if path == f"/v1.0/reports/partners/billing/manifests/{MANIFEST}":
            return _json(self.manifest())
        return _json({"error": {"code": "NotFound", "message": path}}, 404)
