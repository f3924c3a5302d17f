import os
import re
import subprocess
import sys
from urllib.parse import unquote

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.core.cache import cache

from portal.models import User
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_sign_up_requires_email_verification(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "founder@newco.test",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
        follow=True,
    )
    assert "Verify Your Email Address" in response.content.decode()
    assert len(mailoutbox) == 1
    link = re.search(r"http\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    # not signed in before the address is confirmed
    assert client.get("/dashboard/").status_code == 302
    key_path = link.split("testserver")[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    client.post(key_path)
    # confirmed and signed in: a user without a reseller is asked to register the company
    response = client.get("/dashboard/", follow=True)
    assert "Register your company" in response.content.decode()


@pytest.mark.django_db
def test_register_company_makes_the_user_its_owner(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/register/", {"name": "NewCo", "country": "CA", "currency": "CAD"}, follow=True
    )
    page = response.content.decode()
    assert "NewCo is registered" in page
    assert response.context["member"].role == "owner"
    assert "Partner profile" in page


@pytest.mark.django_db
def test_password_reset_mails_a_link(client, mailoutbox):
    UserFactory(email="forgetful@example.test")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.test"})
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "3/m/ip,3/5m/key",
    }
    cache.clear()
    UserFactory(email="target@example.test")
    for _ in range(3):
        response = client.post(
            "/accounts/login/", {"login": "target@example.test", "password": "wrong-password"}
        )
        assert "not correct" in response.content.decode()
    response = client.post(
        "/accounts/login/", {"login": "target@example.test", "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()


def _current_totp(secret):
    return f"{hotp_value(secret, next(yield_hotp_counters_from_time())):06d}"


@pytest.mark.django_db
def test_staff_without_mfa_cannot_use_admin_or_ops(client, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    for path in ("/admin/", "/ops/"):
        response = client.get(path, follow=True)
        # allauth asks for the password again before MFA set-up, then opens the activation page
        assert "/accounts/2fa/totp/activate/" in unquote(response.redirect_chain[-1][0])
        assert "must turn on two-factor authentication" in response.content.decode()


@pytest.mark.django_db
def test_staff_with_mfa_signs_in_with_a_code_and_uses_admin(client, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff = UserFactory(email="ops@example.test", is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    response = client.post(
        "/accounts/login/", {"login": "ops@example.test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": _current_totp(secret)})
    assert client.get("/admin/").status_code == 200
    assert client.get("/ops/").status_code == 200


@pytest.mark.django_db
def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_non_staff_cannot_open_ops(client_for, owner_a):
    assert client_for(owner_a).get("/ops/").status_code == 403


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/accounts/login/", secure=True)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


def _clean_env():
    """The environment without what the test settings added, as a production host has it."""
    test_only = {
        "DEBUG",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "STAFF_MFA_REQUIRED",
        "DJANGO_SETTINGS_MODULE",
        "EMAIL_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    return {k: v for k, v in os.environ.items() if k not in test_only}


def test_check_deploy_is_clean_with_a_production_environment(tmp_path):
    env = _clean_env()
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 64 + "production-like-secret",
        ALLOWED_HOSTS="portal.example.com",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_static_files_collect_with_the_production_storage(tmp_path):
    """Manifest storage refuses a vendored file that points at a missing one (source maps):
    the production image would not build."""
    env = _clean_env()
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 64,
        ALLOWED_HOSTS="portal.example.com",
        DJANGO_SETTINGS_MODULE="portal.settings",
        STATIC_ROOT=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists()


def test_production_refuses_to_start_without_a_secret_key():
    env = _clean_env()
    env.update(DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.django_db
def test_errors_have_friendly_pages(client_for, owner_a):
    response = client_for(owner_a).get("/no-such-page/")
    assert response.status_code == 404
    assert "or it belongs to someone else" in response.content.decode()


@pytest.mark.django_db
def test_user_model_signs_in_by_email():
    user = User.objects.create_user("Case@Example.TEST", password="x-long-password-1")
    assert user.email == "Case@example.test"
    assert user.check_password("x-long-password-1")
