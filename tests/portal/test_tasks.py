"""Tasks live beside the services that enqueue them (DESIGN.md "Layout"); a worker must still
know every one."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PACKAGES = (
    "portal",
    "webhooks",
    "partner_center",
    "programs",
    "customers",
    "subscriptions",
    "support",
    "billing",
    "api",
)


def _defined_tasks() -> set[str]:
    """`module.function` of every @shared_task in the project's source."""
    names = set()
    for package in PACKAGES:
        for path in Path(settings.BASE_DIR, package).rglob("*.py"):
            module = ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.FunctionDef) and any(
                    "shared_task" in ast.unparse(d) for d in node.decorator_list
                ):
                    names.add(f"{module}.{node.name}")
    return names


def test_a_worker_knows_every_task_defined_in_the_project():
    script = (
        "import django; django.setup(); from portal.celery import app; "
        "app.loader.import_default_modules(); print('\\n'.join(app.tasks))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"},
    )
    defined = _defined_tasks()
    assert "subscriptions.services.provision_task" in defined
    assert defined <= set(out.stdout.split()), "a worker would not know these tasks"


def test_tasks_modules_hold_only_beat_jobs():
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    in_tasks_modules = {name for name in _defined_tasks() if name.rsplit(".", 2)[-2] == "tasks"}
    assert in_tasks_modules == beat
