"""Load test: gunicorn with 4 workers on PostgreSQL, driven by Locust at increasing concurrency.

    createdb -h 127.0.0.1 -U postgres bench_load        # once
    .venv/bin/pip install -e '.[bench]'                  # locust
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load .venv/bin/python bench/load.py

It migrates the database, loads the demo data plus --customers extra customers (bulk), starts
gunicorn (production settings, plain http on 127.0.0.1:8100), then runs Locust headless for
each step of --users (default 10, 25, 50; --seconds each, default 40: two minutes in all) and
prints requests/s, p50/p95/p99 and the error count per step. Users: see bench/locustfile.py.
"""

import argparse
import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
PORT = 8100


def prepare(env: dict, customers: int) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([VENV / "python", "manage.py", *command], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [VENV / "python", "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    code = f"""
from django_scopes import scopes_disabled
from customers.models import Customer
from portal.models import Reseller
with scopes_disabled():
    r = Reseller.objects.get(name="Northwind Cloud Partners")
    have = Customer.objects.filter(reseller=r, company_name__startswith="Load ").count()
    Customer.objects.bulk_create([Customer(
        reseller=r, company_name=f"Load {{n:05d}} Ltd", country="US", currency="USD",
        address_line1="1 Main St", city="Seattle", postal_code="98101",
        contact_first_name="Lee", contact_last_name="Load",
        contact_email=f"lee{{n}}@load.example", primary_domain=f"load{{n}}.onmicrosoft.com")
        for n in range(have, {customers})], batch_size=2000)
"""
    subprocess.run(
        [VENV / "python", "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True
    )


def wait_until_up(url: str, seconds: int = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer on {url}")


def run_step(users: int, seconds: int, env: dict, out: Path) -> dict:
    prefix = out / f"users{users}"
    subprocess.run(
        [
            VENV / "locust",
            "-f",
            ROOT / "bench" / "locustfile.py",
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(users // 5, 1)),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            prefix,
            "--only-summary",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    return {
        "users": users,
        "rps": float(total["Requests/s"]),
        "p50": total["50%"],
        "p95": total["95%"],
        "p99": total["99%"],
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", default="10,25,50")
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--report-path", default="/subscriptions/")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "LOAD_REPORT_PATH": args.report_path,
    }
    env.pop("REDIS_URL", None)  # tasks run eagerly: the load stays on gunicorn + PostgreSQL
    prepare(env, args.customers)
    out = Path(tempfile.mkdtemp(prefix="portal-load-"))
    gunicorn = subprocess.Popen(
        [
            VENV / "gunicorn",
            "portal.wsgi",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{PORT}/accounts/login/")
        print(
            f"{'users':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
            f"{'requests':>9} {'errors':>6}"
        )
        for users in (int(u) for u in args.users.split(",")):
            r = run_step(users, args.seconds, env, out)
            print(
                f"{r['users']:>5} {r['rps']:>8.1f} {r['p50']:>7} {r['p95']:>7} "
                f"{r['p99']:>7} {r['requests']:>9} {r['errors']:>6}",
                flush=True,
            )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
