"""Celery queues by kind of work: every task of the project is routed by name to a declared
queue, and production runs a worker on each queue."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from portal.celery import app

# Importing the tasks as a worker does runs the model checks, and a generated column's check
# asks the database for its version.
pytestmark = pytest.mark.django_db

KINDS = {"default", "billing", "pdf", "partner_center", "webhooks"}


def project_tasks() -> set[str]:
    app.loader.import_default_modules()  # CELERY_IMPORTS and every app's tasks module, as a worker
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_the_declared_queues_are_the_kinds_of_work():
    assert {q.name for q in settings.CELERY_TASK_QUEUES} == KINDS
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"


def test_every_task_is_routed_by_name_to_a_declared_queue():
    tasks = project_tasks()
    assert "billing.services.billing_runs_compute_task" in tasks  # the modules were found
    unrouted = tasks - set(settings.CELERY_TASK_ROUTES)
    assert not unrouted, f"route these tasks in CELERY_TASK_ROUTES: {sorted(unrouted)}"
    stale = set(settings.CELERY_TASK_ROUTES) - tasks
    assert not stale, f"CELERY_TASK_ROUTES names tasks that do not exist: {sorted(stale)}"
    for name in tasks:
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in KINDS, (name, queue)


def test_work_goes_to_its_kind_of_queue():
    route = {name: app.amqp.router.route({}, name)["queue"].name for name in project_tasks()}
    assert route["billing.services.billing_runs_compute_task"] == "billing"
    assert route["billing.services.document_pdf_task"] == "pdf"
    assert route["subscriptions.services.provision_task"] == "partner_center"
    assert route["portal.services.invitation_email_task"] == "default"
    assert route["webhooks.services.webhook_deliver_task"] == "webhooks"


def test_production_runs_a_worker_on_each_queue():
    compose = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
    consumed = {}
    for name, service in compose["services"].items():
        command = service.get("command", "")
        if "celery -A portal worker" in command:
            queues = command.split(" -Q ", 1)[1].split()[0].split(",")
            for queue in queues:
                consumed.setdefault(queue, []).append(name)
    assert set(consumed) == KINDS
    assert all(len(workers) == 1 for workers in consumed.values()), consumed
