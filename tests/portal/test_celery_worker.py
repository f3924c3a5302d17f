"""A real Celery worker on Redis runs a task against the test database (CI: PostgreSQL + Redis)."""

import datetime
import os
import socket
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.celery import app
from portal.models import Invitation
from portal.tasks import expire_invitations
from tests.factories import InvitationFactory

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and DATABASE_URL on PostgreSQL (as in .ci/run)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


METRICS_PORT = free_port()


@pytest.fixture
def worker(transactional_db):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_METRICS_PORT": str(METRICS_PORT),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "portal-test",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield proc
    finally:
        app.conf.task_always_eager = eager
        proc.terminate()
        proc.wait(timeout=30)


def test_worker_runs_a_task_on_redis_against_the_database(worker, unscoped):
    stale = InvitationFactory(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    fresh = InvitationFactory()

    result = expire_invitations.apply_async(queue="portal-test")

    assert result.get(timeout=60) == 1
    with unscoped():
        assert Invitation.objects.get(pk=stale.pk).state == Invitation.State.EXPIRED
        assert Invitation.objects.get(pk=fresh.pk).state == Invitation.State.PENDING


def test_the_worker_serves_its_task_metrics(worker, unscoped):
    expire_invitations.apply_async(queue="portal-test").get(timeout=60)

    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10) as r:
        text = r.read().decode()
    assert (
        'portal_celery_tasks_total{state="succeeded",task="portal.tasks.expire_invitations"} 1.0'
    ) in text
