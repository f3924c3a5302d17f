"""PDFs per second per worker process: renders invoice and customer-statement PDFs (each
with its pygal chart) with WeasyPrint exactly as the Celery tasks do
(`billing.services.document_render_pdf`, `billing.statements.statement_render_pdf`: load,
render, store), one process.

    createdb -h 127.0.0.1 -U postgres bench_pdfs          # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pdfs .venv/bin/python bench/pdfs.py

It migrates the database and loads the demo data (whose billing seed leaves invoices and
statements), then renders --count PDFs of each kind round-robin and prints PDFs/s (target ≥ 2).
A statement is rendered once in production; the bench deletes its PDF before each render
so that the task renders it again.
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

    from billing.models import Invoice, Statement
    from billing.services import document_render_pdf
    from billing.statements import statement_render_pdf

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with scopes_disabled():
        ids = list(Invoice.objects.order_by("pk").values_list("pk", flat=True))
        lines = Invoice.objects.filter(pk__in=ids).values_list("lines__pk", flat=True).count()
        statement_ids = list(Statement.objects.order_by("pk").values_list("pk", flat=True))
    if not ids or not statement_ids:
        raise SystemExit("The demo data has no invoices or no statements.")

    def render_statement(statement_id):
        with scopes_disabled():
            Statement.objects.get(pk=statement_id).pdf.delete()  # file and field
        statement_render_pdf(statement_id=statement_id)

    document_render_pdf(kind="invoice", document_id=ids[0])  # warm up fonts and templates
    for label, render, pks in (
        (
            f"invoice PDFs ({len(ids)} invoices, {lines} lines in all)",
            lambda pk: document_render_pdf(kind="invoice", document_id=pk),
            ids,
        ),
        (
            f"statement PDFs ({len(statement_ids)} customer statements)",
            render_statement,
            statement_ids,
        ),
    ):
        started = time.perf_counter()
        for n in range(args.count):
            render(pks[n % len(pks)])
        seconds = time.perf_counter() - started
        print(
            f"{args.count} {label} in {seconds:.1f} s: {args.count / seconds:.2f} PDFs/s "
            "in one process"
        )


if __name__ == "__main__":
    main()
