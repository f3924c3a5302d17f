"""Partner Center tokens through MSAL (Secure Application Model) against the fake identity
platform: refresh token → access token, kept encrypted, refreshed before expiry and once on a
401, never logged."""

import datetime as dt
import logging
import re
import ssl
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.urls import reverse
from django_scopes import scopes_disabled
from pytest_httpserver import HTTPServer

from partner_center.auth import (
    AppOnlyTokens,
    AppUserTokens,
    decrypt,
    has_refresh_token,
    keep_admin_credentials,
    store_refresh_token,
    take_admin_credentials,
    tokens_from_settings,
)
from partner_center.errors import GatewayError
from partner_center.http import HttpGateway
from partner_center.models import AdminCredential, StoredToken
from portal.models import AuditEvent
from tests.factories import UserFactory

BOOTSTRAP = "bootstrap-refresh-token"  # the fake identity platform knows this one


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost: MSAL only talks to https authorities."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def login(certificate, ms):
    """https://localhost:<port>/<tenant>: the fake identity platform (same fake as the API)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = HTTPServer(host="localhost", ssl_context=context)
    server.expect_request(re.compile(".*")).respond_with_handler(ms)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def app_user(login, certificate, db):
    session = requests.Session()
    session.verify = certificate[0]
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override `verify`
    return AppUserTokens(
        client_id="8c6b9e5d-0000-4000-8000-000000000001",
        client_secret="app-secret-not-for-logs",
        authority=login.url_for("/contoso-distributor.onmicrosoft.com"),
        bootstrap_refresh_token=BOOTSTRAP,
        http_client=session,
    )


def test_refresh_token_gives_an_app_user_token_kept_encrypted(app_user, ms):
    token = app_user.access_token()
    assert token in ms.access_tokens
    (grant,) = ms.token_requests
    assert grant["grant_type"] == "refresh_token" and grant["refresh_token"] == BOOTSTRAP
    assert "https://api.partnercenter.microsoft.com/user_impersonation" in grant["scope"]
    row = StoredToken.objects.get(name="partner-center")
    assert token not in row.access_token and decrypt(row.access_token) == token
    rotated = decrypt(row.refresh_token)
    assert rotated.startswith("rt-") and rotated not in row.refresh_token
    assert app_user.access_token() == token  # cached: no second grant
    assert len(ms.token_requests) == 1


def test_token_is_refreshed_before_it_expires(app_user, ms):
    ms.token_lifetime = 200  # less than the 5 minutes kept in hand
    first = app_user.access_token()
    second = app_user.access_token()
    assert first != second and len(ms.token_requests) == 2
    assert ms.token_requests[1]["refresh_token"].startswith("rt-")  # the rotated one


def test_expired_token_on_a_call_is_refreshed_once_and_nothing_is_lost(
    app_user, ms, pc_server, sleeps, offers
):
    from tests.partner_center.conftest import customer_request

    gateway = HttpGateway(pc_server.url_for("/"), app_user, sleep=sleeps.append)
    info = gateway.create_customer(customer_request(), idempotency_key="c-1")
    ms.expire_tokens()  # e.g. revoked, or expired mid-run
    assert gateway.get_customer(info.tenant_id).tenant_id == info.tenant_id
    assert len(ms.token_requests) == 2
    assert len(ms.customers) == 1


def test_a_refused_refresh_token_says_so_without_the_token(app_user, ms, caplog):
    store_refresh_token("revoked-refresh-token-secret")
    with caplog.at_level(logging.DEBUG), pytest.raises(GatewayError) as e:
        app_user.access_token()
    assert "invalid_grant" in e.value.message and "connect Partner Center again" in e.value.message
    assert "revoked-refresh-token-secret" not in e.value.message
    assert all("revoked-refresh-token-secret" not in r.getMessage() for r in caplog.records)


def test_without_any_refresh_token_the_operator_is_told_to_connect(login, db):
    tokens = AppUserTokens(client_id="x", client_secret="y", authority=login.url_for("/t"))
    with pytest.raises(GatewayError, match="not connected"):
        tokens.access_token()
    assert has_refresh_token() is False
    store_refresh_token("from-consent")
    assert has_refresh_token() is True


def test_settings_choose_the_token_source(settings):
    settings.PARTNER_CENTER_CLIENT_ID = ""
    settings.PARTNER_CENTER_TOKEN = "static"
    assert tokens_from_settings().access_token() == "static"
    settings.PARTNER_CENTER_CLIENT_ID = "client"
    settings.PARTNER_CENTER_CLIENT_SECRET = "secret"
    settings.PARTNER_CENTER_AUTHORITY = "https://login.microsoftonline.com/contoso"
    settings.PARTNER_CENTER_REFRESH_TOKEN = "bootstrap"
    source = tokens_from_settings()
    assert isinstance(source, AppUserTokens) and "secret" not in repr(source)


def test_one_time_admin_credentials_are_given_once(db):
    keep_admin_credentials("t-1", "admin@contoso.onmicrosoft.com", "0Krha*Io")
    assert "0Krha*Io" not in AdminCredential.objects.get().password
    assert take_admin_credentials("t-1") == ("admin@contoso.onmicrosoft.com", "0Krha*Io")
    assert take_admin_credentials("t-1") is None


def test_app_only_tokens_for_graph(login, certificate, ms, caplog):
    session = requests.Session()
    session.verify, session.trust_env = certificate[0], False
    graph = AppOnlyTokens(
        client_id="8c6b9e5d-0000-4000-8000-000000000001",
        client_secret="app-secret-not-for-logs",
        authority=login.url_for("/contoso-distributor.onmicrosoft.com"),
        http_client=session,
    )
    token = graph.access_token()
    assert token in ms.access_tokens and graph.access_token() == token  # cached by MSAL
    (grant,) = ms.token_requests
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"].split() == ["https://graph.microsoft.com/.default"]
    assert graph.refresh() != token


def test_operations_connect_partner_center_through_the_consent_flow(
    login, certificate, ms, client, settings, monkeypatch, db
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])  # MSAL's own HTTP client
    settings.STAFF_MFA_REQUIRED = False
    settings.PARTNER_CENTER_CLIENT_ID = "8c6b9e5d-0000-4000-8000-000000000001"
    settings.PARTNER_CENTER_CLIENT_SECRET = "app-secret-not-for-logs"
    settings.PARTNER_CENTER_AUTHORITY = login.url_for("/contoso-distributor.onmicrosoft.com")
    settings.PARTNER_CENTER_REFRESH_TOKEN = ""
    operator = UserFactory(is_staff=True)
    client.force_login(operator)
    page = client.get(reverse("partner_center_ops:connection")).content.decode()
    assert "Not connected." in page
    started = client.post(reverse("partner_center_ops:start"))
    sign_in = urlparse(started["Location"])
    assert sign_in.path == "/contoso-distributor.onmicrosoft.com/oauth2/v2.0/authorize"
    query = parse_qs(sign_in.query)
    assert "https://api.partnercenter.microsoft.com/user_impersonation" in query["scope"][0]
    # Microsoft sends the operator back with a code
    back = client.get(
        reverse("partner_center_ops:callback"),
        {"code": "consent-code", "state": query["state"][0]},
        follow=True,
    )
    assert "Partner Center is connected" in back.content.decode()
    assert "Connected." in back.content.decode()
    stored = decrypt(StoredToken.objects.get().refresh_token)
    assert stored in ms.refresh_tokens and stored not in StoredToken.objects.get().refresh_token
    with scopes_disabled():
        assert AuditEvent.objects.filter(
            action="partner_center.connection.connected", actor=operator
        ).exists()
    # a replayed or forged answer is refused plainly
    again = client.get(
        reverse("partner_center_ops:callback"),
        {"code": "consent-code", "state": "forged"},
        follow=True,
    )
    assert "The sign-in expired or was started elsewhere" in again.content.decode()


def test_only_operations_staff_may_connect(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("partner_center_ops:connection")).status_code == 403
