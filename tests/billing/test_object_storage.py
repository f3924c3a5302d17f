"""Documents in object storage: with STORAGE_S3_BUCKET the portal writes and reads its files
in an S3 bucket (django-storages), here moto's S3 server on a free localhost port."""

import datetime as dt
import socket

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from billing import services
from billing.models import Invoice
from portal.roles import Role
from portal.settings import s3_storage
from support import services as support_services
from support.models import TicketAttachment

BUCKET = "portal-documents"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """The portal's default storage in a fresh bucket of the S3 server; yields the bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = boto3.resource("s3", endpoint_url=s3_server, region_name="us-east-1").Bucket(BUCKET)
    bucket.create()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=BUCKET, endpoint_url=s3_server, region="us-east-1", prefix="portal"
        ),
    }
    yield bucket
    bucket.objects.all().delete()
    bucket.delete()


@pytest.mark.django_db
def test_invoice_pdf_is_written_to_the_bucket_and_downloaded_from_it(
    s3, ops, us_reseller, charge_factory, member_of, client_for, django_capture_on_commit_callbacks
):
    charge_factory(us_reseller, cost="100.00", price="120.00", offer_name="Microsoft 365 E3")
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller)
    services.billing_run_compute(run_id=run.pk)
    with django_capture_on_commit_callbacks(execute=True):  # the PDF task renders and stores it
        [invoice] = services.billing_run_finalize(user=ops, run=run)

    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    key = f"portal/{invoice.pdf.name}"
    keys = sorted(o.key for o in s3.objects.all())
    # the invoice and the customer's statement, both rendered when the run was finalized
    assert keys[0] == key and keys[1].startswith("portal/billing/statements/") and len(keys) == 2
    stored = s3.Object(key).get()["Body"].read()
    assert stored.startswith(b"%PDF")

    client = client_for(member_of(us_reseller, Role.BILLING))
    response = client.get(reverse("billing:invoice_pdf", kwargs={"invoice_id": invoice.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored


@pytest.mark.django_db
def test_support_attachment_round_trips_through_the_bucket(s3, owner_a, client_for):
    ticket = support_services.ticket_open(
        member=owner_a,
        subject="Seats not provisioned",
        category="provisioning",
        priority="high",
        description="Order 42 is stuck.",
        files=[SimpleUploadedFile("trace.txt", b"order 42: timeout")],
    )
    attachment = TicketAttachment.objects.with_scopes_disabled().get(message__ticket=ticket)
    assert s3.Object(f"portal/{attachment.file.name}").get()["Body"].read() == b"order 42: timeout"

    response = client_for(owner_a).get(f"/support/attachments/{attachment.pk}/")
    assert b"".join(response.streaming_content) == b"order 42: timeout"


@pytest.mark.django_db
def test_readiness_checks_the_bucket(s3, client, settings):
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket="no-such-bucket",
            endpoint_url=settings.STORAGES["default"]["OPTIONS"]["endpoint_url"],
            region="us-east-1",
        ),
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "failed: ClientError"
