"""Microsoft Graph partner billing reconciliation v2: usage and invoice reconciliation exports.

The flow Microsoft documents (https://learn.microsoft.com/graph/api/resources/
partners-billing-api-overview, the export, operation and manifest pages under
https://learn.microsoft.com/graph/api/partners-billing-...):

1. `POST /reports/partners/billing/usage/unbilled/export` (`currencyCode`, `billingPeriod`
   current|last, `attributeSet` full|basic), `.../usage/billed/export` or
   `.../reconciliation/billed/export` (`invoiceId`, `attributeSet`) → `202 Accepted` and a
   `Location` header: the operation.
2. `GET` the operation until it is no longer running (`@odata.type` …runningOperation, status
   notStarted|running), waiting `Retry-After` seconds between polls; …failedOperation carries
   `error.code`/`error.message`; …exportSuccessOperation (status "succeeded", documented as
   "completed": both accepted) gives the manifest inline under `resourceLocation` or behind
   `resourceLocation@odata.navigationLink`.
3. The manifest names `blobCount` blobs under `rootDirectory`; each is read at
   `rootDirectory/name?sasToken` (no bearer token) as gzip-compressed JSON lines, streamed:
   chunks are decompressed and split into lines as they arrive, a blob is never held whole.

`GraphBilling` speaks HTTP; `SandboxGraphBilling` builds the same manifest and the same gzip
JSON-lines blobs from the sandbox's deterministic usage, and both read them with `json_lines`.
"""

import gzip
import io
import json
import logging
import re
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import httpx
from django.conf import settings

from partner_center.errors import GatewayError

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
BASE = "/reports/partners/billing"
UNBILLED_USAGE = f"{BASE}/usage/unbilled/export"
BILLED_USAGE = f"{BASE}/usage/billed/export"
BILLED_RECONCILIATION = f"{BASE}/reconciliation/billed/export"
SUCCEEDED = frozenset({"succeeded", "completed"})
RUNNING = frozenset({"notstarted", "running"})


class ExportFailed(GatewayError):
    """Microsoft's export operation failed (e.g. code "5000", "No data available")."""


@dataclass(frozen=True)
class Blob:
    name: str
    partition_value: str


@dataclass(frozen=True)
class Manifest:
    id: str
    etag: str
    root_directory: str
    sas_token: str
    blobs: tuple[Blob, ...]
    data_format: str = "compressedJSON"
    schema_version: str = "1"

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        """Microsoft's manifest (unknown keys ignored)."""
        blobs = tuple(Blob(b["name"], b.get("partitionValue", "")) for b in data["blobs"])
        if len(blobs) != int(data.get("blobCount", len(blobs))):
            raise GatewayError(
                f"The manifest names {data.get('blobCount')} blobs but lists {len(blobs)}."
            )
        return cls(
            id=data["id"],
            etag=data.get("eTag", ""),
            root_directory=data["rootDirectory"],
            sas_token=data.get("sasToken", ""),
            blobs=blobs,
            data_format=data.get("dataFormat", ""),
            schema_version=str(data.get("schemaVersion", "")),
        )

    def blob_url(self, blob: Blob) -> str:
        """The blob's URL: the SAS token is already encoded and has no leading "?"."""
        url = f"{self.root_directory.rstrip('/')}/{blob.name}"
        return f"{url}?{self.sas_token}" if self.sas_token else url


def json_lines(chunks: Iterable[bytes]) -> Iterator[dict]:
    """The objects of a gzip-compressed JSON-lines blob given in chunks, one at a time (numbers
    as Decimal); only the current chunk and a partial line are held."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    rest = b""
    for chunk in chunks:
        data = rest + inflate.decompress(chunk)
        *lines, rest = data.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line, parse_float=Decimal)
    rest += inflate.flush()
    if rest.strip():
        yield json.loads(rest, parse_float=Decimal)


@dataclass
class Progress:
    """What an export has done so far (shown by the caller while it runs)."""

    state: str = "starting"
    operation: str = ""
    polls: int = 0
    blobs_done: int = 0
    blobs: int = 0
    etag: str = ""


class GraphBilling:
    """Microsoft Graph's partner billing exports over HTTP."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        max_polls: int = 120,
        default_retry_after: float = 30.0,
        transport=None,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.sleep, self.max_polls = sleep, max_polls
        self.default_retry_after = default_retry_after
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self):
        return f"GraphBilling({self.base_url!r})"  # never the token

    @classmethod
    def from_settings(cls) -> "GraphBilling":
        return cls(
            settings.GRAPH_BILLING_URL,
            settings.GRAPH_BILLING_TOKEN,
            timeout=settings.PARTNER_CENTER_TIMEOUT,
        )

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self._token}"}

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.is_success:
            return response
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        raise GatewayError(
            f"{what}: Microsoft Graph answered {response.status_code} "
            f"{error.get('code', '')} {error.get('message', '')}".strip()
        )

    def start(self, path: str, body: dict) -> str:
        """POST an export; the operation's URL."""
        response = self._check(
            self.client.post(
                f"{self.base_url}{path}",
                json=body,
                headers={**self._auth(), "Content-Type": "application/json"},
            ),
            "Starting the export",
        )
        location = response.headers.get("Location")
        if response.status_code != 202 or not location:
            raise GatewayError(
                f"Starting the export: expected 202 with a Location, got {response.status_code}."
            )
        return location

    def wait(self, operation_url: str, progress: Progress | None = None) -> Manifest:
        """Poll the operation until it succeeds (its manifest) or fails (ExportFailed)."""
        progress = progress or Progress()
        progress.operation, progress.state = operation_url, "running"
        for _ in range(self.max_polls):
            response = self._check(
                self.client.get(operation_url, headers=self._auth()), "Polling the export"
            )
            progress.polls += 1
            body = response.json()
            kind = body.get("@odata.type", "").rsplit(".", 1)[-1]
            status = str(body.get("status", "")).lower()
            if kind == "failedOperation" or status == "failed":
                error = body.get("error") or {}
                raise ExportFailed(
                    f"The export failed: {error.get('code', '')} {error.get('message', '')}".strip()
                )
            if kind == "exportSuccessOperation" or status in SUCCEEDED:
                return self._manifest(body)
            if status not in RUNNING and kind != "runningOperation":
                raise GatewayError(f"Unknown export state {status!r} ({kind}).")
            self.sleep(_seconds(response.headers.get("Retry-After"), self.default_retry_after))
        raise GatewayError(
            f"The export was still running after {self.max_polls} polls; start it again later."
        )

    def _manifest(self, body: dict) -> Manifest:
        inline = body.get("resourceLocation")
        if isinstance(inline, dict):
            return Manifest.from_json(inline)
        link = body.get("resourceLocation@odata.navigationLink")
        if not link:
            raise GatewayError("The finished export names no manifest.")
        return Manifest.from_json(
            self._check(self.client.get(link, headers=self._auth()), "Reading the manifest").json()
        )

    def blob_lines(self, manifest: Manifest, blob: Blob) -> Iterator[dict]:
        """One blob's lines, streamed (the SAS token authorises it, no bearer token)."""
        with self.client.stream("GET", manifest.blob_url(blob)) as response:
            self._check(response, f"Reading {blob.name}")
            yield from json_lines(response.iter_raw(64 * 1024))

    def lines(self, path: str, body: dict, progress: Progress | None = None) -> Iterator[dict]:
        """Every line of an export, blob after blob."""
        progress = progress or Progress()
        manifest = self.wait(self.start(path, body), progress)
        yield from _lines(self, manifest, progress)

    def invoices_out(self, since: date) -> list["Invoice"]:
        """Microsoft's invoices dated `since` or later, from Partner Center's invoice list
        (`GET /v1/invoices`, https://learn.microsoft.com/partner-center/developer/
        get-a-collection-of-invoices: `items` of Invoice, whose `id`, `invoiceDate`,
        `billingPeriodStartDate` and `billingPeriodEndDate` are read)."""
        response = self._check(
            self.client.get(
                f"{settings.PARTNER_CENTER_BASE_URL.rstrip('/')}/v1/invoices",
                headers={"Authorization": f"Bearer {settings.PARTNER_CENTER_TOKEN}"},
            ),
            "Listing Microsoft's invoices",
        )
        invoices = [Invoice.from_json(item) for item in response.json().get("items", [])]
        return [i for i in invoices if i.invoice_date is not None and i.invoice_date >= since]

    def close(self):
        self.client.close()


def as_date(value) -> date | None:
    """A date of Microsoft's date-times ("2019-07-10T00:00:00Z")."""
    return date.fromisoformat(str(value)[:10]) if value else None


@dataclass(frozen=True)
class Invoice:
    id: str
    invoice_date: date | None
    period_start: date | None
    period_end: date | None

    @classmethod
    def from_json(cls, data: dict) -> "Invoice":
        return cls(
            id=data["id"],
            invoice_date=as_date(data.get("invoiceDate")),
            period_start=as_date(data.get("billingPeriodStartDate")),
            period_end=as_date(data.get("billingPeriodEndDate")),
        )


def _lines(source, manifest: Manifest, progress: Progress) -> Iterator[dict]:
    progress.state, progress.blobs, progress.etag = "reading", len(manifest.blobs), manifest.etag
    for blob in manifest.blobs:
        yield from source.blob_lines(manifest, blob)
        progress.blobs_done += 1
    progress.state = "done"


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def unbilled_usage_body(currency: str, period: str = "current", attribute_set: str = "full"):
    return {"currencyCode": currency, "billingPeriod": period, "attributeSet": attribute_set}


def invoice_body(invoice_id: str, attribute_set: str = "full"):
    return {"invoiceId": invoice_id, "attributeSet": attribute_set}


# --- sandbox ----------------------------------------------------------------------------

BLOB_LINES = 5000  # lines per sandbox blob (Microsoft partitions large exports the same way)


class SandboxGraphBilling:
    """The sandbox's exports: the same manifest and gzip JSON-lines blobs Microsoft serves,
    made from the sandbox Partner Center's deterministic usage of its subscriptions."""

    def __init__(self, *, today: date | None = None):
        from django.utils import timezone

        self.today = today or timezone.now().date()
        self._blobs: dict[str, bytes] = {}

    def lines(self, path: str, body: dict, progress: Progress | None = None) -> Iterator[dict]:
        progress = progress or Progress()
        if path != UNBILLED_USAGE:
            raise ExportFailed("The export failed: 5000 No data available")
        manifest = self.manifest(body)
        progress.operation, progress.polls = f"sandbox:{manifest.id}", 1
        yield from _lines(self, manifest, progress)

    def manifest(self, body: dict) -> Manifest:
        """The unbilled usage of the current (or last) calendar month to yesterday, in
        blobs of BLOB_LINES lines."""
        from partner_center.sandbox import SandboxGateway

        first = self.today.replace(day=1)
        if body.get("billingPeriod") == "last":
            end = first - date.resolution
            first = end.replace(day=1)
        else:
            end = self.today - date.resolution
        lines = []
        if end >= first:
            from partner_center.gateway import iter_usage

            lines = [
                line
                for line in iter_usage(SandboxGateway(), start=first, end=end)
                if line.billing_currency == body.get("currencyCode")
            ]
        manifest_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{first}/{end}/{body}"))
        blobs = []
        for n in range(0, max(len(lines), 1), BLOB_LINES):
            name = f"part-{n // BLOB_LINES:05d}-{manifest_id}.c000.json.gz"
            self._blobs[name] = _gzip_lines(graph_line(line) for line in lines[n : n + BLOB_LINES])
            blobs.append({"name": name, "partitionValue": "default"})
        return Manifest.from_json(
            {
                "id": manifest_id,
                "schemaVersion": "2",
                "dataFormat": "compressedJSON",
                "eTag": manifest_id[:17],
                "partnerTenantId": settings.PARTNER_CENTER_PROVIDER_TENANT_ID,
                "rootDirectory": f"sandbox://unbilledusagefastpath/v1/BillingMonth={first:%Y%m}/"
                f"Currency={body.get('currencyCode')}/Fragment=full",
                "sasToken": "sv=sandbox&sr=d&sp=rl",
                "partitionType": "default",
                "blobCount": len(blobs),
                "blobs": blobs,
            }
        )

    def invoices_out(self, since: date) -> list[Invoice]:
        """The sandbox issues no invoice: nothing billed to reconcile."""
        return []

    def blob_lines(self, manifest: Manifest, blob: Blob) -> Iterator[dict]:
        data = self._blobs[blob.name]
        yield from json_lines(data[i : i + 64 * 1024] for i in range(0, len(data), 64 * 1024))


def graph_line(line) -> dict:
    """A sandbox usage line as Microsoft's unbilled usage export writes it (attributeSet
    full, PascalCase attribute names)."""
    return {
        "CustomerId": line.customer_id,
        "CustomerName": line.customer_name,
        "SubscriptionId": line.subscription_id,
        "UsageDate": f"{line.usage_date.isoformat()}T00:00:00Z",
        "MeterCategory": line.meter_category,
        "MeterSubCategory": line.meter_sub_category,
        "MeterName": line.meter_name,
        "MeterId": line.meter_id,
        "MeterRegion": line.meter_region,
        "ResourceGroup": line.resource_group,
        "ResourceURI": line.resource_uri,
        "Tags": line.tags,
        "Quantity": line.quantity,
        "Unit": line.unit_of_measure,
        "UnitPrice": line.unit_price,
        "BillingPreTaxTotal": line.billing_pre_tax_total,
        "BillingCurrency": line.billing_currency,
        "ChargeType": line.charge_type,
        "ProductId": line.product_id,
        "SkuId": line.sku_id,
        "AvailabilityId": line.availability_id,
        "InvoiceNumber": "",
    }


_NUMBER = re.compile(r'"\\u0000(-?[0-9.E+-]+)\\u0000"')


def _json_line(obj: dict) -> bytes:
    """One JSON line with Decimal values written as JSON numbers, digit for digit."""
    marked = {k: f"\0{v}\0" if isinstance(v, Decimal) else v for k, v in obj.items()}
    return _NUMBER.sub(r"\1", json.dumps(marked)).encode() + b"\n"


def _gzip_lines(objects: Iterable[dict]) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as f:
        for obj in objects:
            f.write(_json_line(obj))
    return out.getvalue()


def get_graph_billing():
    """The configured exports: the sandbox unless PARTNER_CENTER_GATEWAY is "http"."""
    if getattr(settings, "PARTNER_CENTER_GATEWAY", "sandbox") == "http":
        return GraphBilling.from_settings()
    return SandboxGraphBilling()
