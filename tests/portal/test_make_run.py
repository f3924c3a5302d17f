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
    runserver = next(line for line in out.splitlines() if "runserver" in line)
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8001}" in runserver
    assert runserver.rstrip().endswith("runserver 127.0.0.1:8001")
