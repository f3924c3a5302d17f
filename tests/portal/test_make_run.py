"""`make run` for a newcomer (issue 21, item 11): PDF libraries' INFO chatter does not bury
the demo logins, and e-mail links follow the port served."""

import logging
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_pdf_libraries_log_only_errors_and_warnings():
    assert logging.getLogger("fontTools.subset").getEffectiveLevel() >= logging.ERROR
    assert logging.getLogger("weasyprint.progress").getEffectiveLevel() > logging.INFO


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_points_e_mail_links_at_the_port_it_serves():
    out = subprocess.run(  # noqa: S603
        [shutil.which("make"), "-n", "run", "PORT=8001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    runserver = next(line for line in out.splitlines() if "serve_demo" in line)
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8001}" in runserver
    assert runserver.rstrip().endswith("serve_demo 127.0.0.1:8001")


@pytest.mark.django_db
def test_make_run_prints_the_demo_logins_last():
    """serve_demo (what `make run` starts) prints the logins after Django's start-up banner,
    and they are the logins seed_demo made."""
    from io import StringIO

    from django.core.management import call_command

    from portal.demo import demo_logins
    from portal.management.commands.serve_demo import Command

    seeded = StringIO()
    call_command("seed_demo", stdout=seeded)
    command = Command(stdout=StringIO())
    command.addr, command.protocol, command._raw_ipv6 = "127.0.0.1", "http", False
    command.on_bind(8001)
    out = command.stdout.getvalue()
    banner, logins = out.split("Demo data is loaded.")
    assert "Starting WSGI development server at http://127.0.0.1:8001/" in banner
    printed = logins.splitlines()
    assert printed[0].endswith("Sign in at http://127.0.0.1:8001/accounts/login/ with:")
    assert printed[1:] == seeded.getvalue().splitlines()[1:]  # the last lines printed
    assert [line.split()[-3] for line in printed[1:]] == [e for _, e in demo_logins()]
