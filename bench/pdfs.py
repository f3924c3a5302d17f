"""PDFs per second per worker process: renders invoice PDFs with WeasyPrint exactly as the
Celery task does (`billing.services.document_render_pdf`: load, render, store), one process.

    createdb -h 127.0.0.1 -U postgres bench_pdfs          # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pdfs .venv/bin/python bench/pdfs.py

It migrates the database and loads the demo data (whose billing seed leaves invoices), then
renders --count PDFs round-robin over those invoices and prints PDFs/s (target ≥ 2).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    from billing.models import Invoice
    from billing.services import document_render_pdf

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with scopes_disabled():
        ids = list(Invoice.objects.order_by("pk").values_list("pk", flat=True))
        lines = Invoice.objects.filter(pk__in=ids).values_list("lines__pk", flat=True).count()
    if not ids:
        raise SystemExit("The demo data has no invoices.")
    document_render_pdf(kind="invoice", document_id=ids[0])  # warm up fonts and templates
    started = time.perf_counter()
    for n in range(args.count):
        document_render_pdf(kind="invoice", document_id=ids[n % len(ids)])
    seconds = time.perf_counter() - started
    print(f"{args.count} invoice PDFs ({len(ids)} invoices, {lines} lines in all) in "
          f"{seconds:.1f} s: {args.count / seconds:.2f} PDFs/s in one process")


if __name__ == "__main__":
    main()
