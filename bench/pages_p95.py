"""Page p95 over real HTTP against gunicorn at 10,000 customers: the dashboard, the lists and
every report page, against a signed-in hello-world page on the same server, interleaved.

    createdb -h 127.0.0.1 -U postgres bench_reports          # once
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports
    .venv/bin/python bench/reports.py --runs 2               # builds the data once (≈3 min)
    .venv/bin/python bench/pages_p95.py                      # --requests 40 --rounds 3 --workers 2

Data: bench/reports.py's 20 US resellers × 500 customers (10,000 customers, 1,005,000 usage
lines of May 2026, 16,700 subscriptions, June charges); the bench adds nothing.

Measure: gunicorn (production settings over plain http on 127.0.0.1, --workers sync workers,
no Redis) serves the portal with BENCH_HELLO on, which routes `/bench/hello/`: a page behind
the same middleware, session, sign-in and tenant scope that answers "Hello" (the floor). One
client requests, one at a time on a new connection, as the owners of four resellers in turn
(their own session cookies) and, for the report pages, for two periods (June and May 2026):
each page request follows a floor request, so floor and pages see the same machine. Each round
gives each page's p95 over --requests × 4 resellers requests (≥ 200 with the defaults' 3
rounds: 160 a round, 480 in all) and the floor's; the script prints best and median of the
rounds and each page's p95 as a multiple of the floor's. Before that, each page's queries are
counted in-process for two resellers and both periods: they must be equal (constant in the
data size). `--after-change` changes the data of each page's reseller before its request (a
customer saved unchanged, outside the time measured): report figures kept in the cache under the
reseller's state of the data are then computed again, as on the first visit after a change.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from http_timing import gunicorn, p95, timed_get, wait_until_up  # noqa: E402  (bench/, beside this file)

from billing.reports import cache as report_cache  # noqa: E402
from billing.usage.models import UsageSummary  # noqa: E402
from portal.middleware import SESSION_RESELLER_KEY  # noqa: E402
from portal.models import Membership, Reseller, User  # noqa: E402
from portal.roles import Role  # noqa: E402

FLOOR = "/bench/hello/"
PERIODS = ("2026-06-01", "2026-05-01")
RESELLERS = 4


def touch(reseller_id: int | None) -> None:
    """--after-change: one of the reseller's customers saved unchanged (outside the time
    measured), which moves the reseller's state of the data: the report figures kept under it
    (billing/reports/cache.py) are computed again by the next request."""
    if reseller_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_customer SET company_name = company_name WHERE id = "
                "(SELECT min(id) FROM customers_customer WHERE reseller_id = %s)",
                [reseller_id],
            )


def pages(subscription_id: int, meter_id: str) -> list[tuple[str, str, dict]]:
    """(label, path, query) of every page measured; "{period}" is filled per request."""
    daily = {"subscription": subscription_id, "meter": meter_id}
    return [
        ("dashboard", reverse("dashboard"), {}),
        # what htmx loads into the dashboard once it shows (the current period's figures)
        ("dashboard figures", reverse("billing:figures"), {}),
        ("dashboard savings card", reverse("savings:card"), {}),
        ("customers list", reverse("customers:list"), {}),
        ("customers list, page 5", reverse("customers:list"), {"page": 5}),
        ("subscriptions list", reverse("subscriptions:list"), {}),
        ("subscriptions list, page 5", reverse("subscriptions:list"), {"page": 5}),
        ("billing: invoices", reverse("billing:home"), {}),
        ("billing: statements", reverse("billing:statements"), {"period": "{period}"}),
        ("billing: usage imports", reverse("billing:usage_imports"), {}),
        ("reports index", reverse("billing:reports"), {}),
        ("report Azure (legacy)", reverse("billing:report_azure_legacy"), {"period": "{period}"}),
        ("report Azure plan & NCE", reverse("billing:report_azure_plan"), {"period": "{period}"}),
        (
            "report Azure plan & NCE, p5 by margin",
            reverse("billing:report_azure_plan"),
            {"period": "{period}", "u-sort": "-margin", "u-page": 5},
        ),
        (
            "report Azure plan daily",
            reverse("billing:report_daily"),
            {"period": "{period}", **daily},
        ),
        ("report Modern Workplace", reverse("billing:report_seats"), {"period": "{period}"}),
        ("renewals", reverse("subscriptions:renewals"), {}),
        ("buy", reverse("subscriptions:purchase"), {}),
        ("catalog", reverse("subscriptions:catalog"), {}),
        ("price books", reverse("subscriptions:price_books"), {}),
        ("transfers", reverse("subscriptions:transfers"), {}),
        ("seat savings", reverse("savings:savings"), {}),
        ("support", reverse("support:home"), {}),
        ("new ticket", reverse("support:ticket_create"), {}),
        ("members", reverse("members"), {}),
        ("activity", reverse("activity"), {}),
        ("notifications", reverse("notifications"), {}),
    ]


# operations' pages, timed with an operations staff member's session ("ops: " labels)
OPS = "ops: "


def ops_pages(reseller_id: int) -> list[tuple[str, str, dict]]:
    """Operations' lists and reports across all resellers, and the reports of one reseller."""
    one = {"period": "{period}", "reseller": reseller_id}
    return [
        (OPS + "home", "/ops/", {}),
        (OPS + "MCA queue", "/ops/customers/mca/", {}),
        (OPS + "usage imports", "/ops/billing/usage/", {}),
        (OPS + "program requests", "/ops/programs/", {}),
        (OPS + "billing runs", "/ops/billing/runs/", {}),
        (OPS + "support queue", "/ops/support/", {}),
        (OPS + "provisioning", "/ops/provisioning/", {}),
        (OPS + "transfers", "/ops/transfers/", {}),
        (OPS + "reconciliation", "/ops/billing/reconciliation/", {}),
        (
            OPS + "report Azure plan, all",
            "/ops/billing/reports/azure-plan/",
            {"period": "{period}"},
        ),
        (OPS + "report Azure plan, one", "/ops/billing/reports/azure-plan/", one),
        (OPS + "report Modern Workplace, one", "/ops/billing/reports/modern-workplace/", one),
    ]


def url(path: str, query: dict, period: str) -> str:
    values = {k: (period if v == "{period}" else v) for k, v in query.items()}
    return path + ("?" + urlencode(values) if values else "")


def session_cookie(member: Membership) -> str:
    """A signed-in session of the member (as allauth's sign-in leaves it), stored in the
    database the server reads."""
    user = member.user
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_RESELLER_KEY] = member.reseller_id
    store.create()
    return store.session_key


def staff_session_cookie(user) -> str:
    """A signed-in session of an operations staff member who has turned MFA on (the
    operations pages ask for it in production)."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
    )
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def check_queries(members, staff, page_lists, after_change: bool) -> dict[str, str]:
    """Queries per page, in-process, for two resellers (different customers, subscriptions and
    usage) in both periods: equal per period, or the script stops (a query per row would show
    here); "13/11" when the period without usage skips some."""
    counts = {}
    clients = []
    for member in members[:2]:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(member.user)
        session = client.session
        session[SESSION_RESELLER_KEY] = member.reseller_id
        session.save()
        clients.append(client)
    ops_client = Client(SERVER_NAME="127.0.0.1")
    ops_client.force_login(staff)
    for n, label in enumerate(["floor", *(label for label, _, _ in page_lists[0])]):
        seen: dict[str, list[int]] = {period: [] for period in PERIODS}
        for client, page_list, member in zip(clients, page_lists, members, strict=False):
            _, path, query = ("floor", FLOOR, {}) if n == 0 else page_list[n - 1]
            as_who = ops_client if label.startswith(OPS) else client
            for period in PERIODS:
                as_who.get(url(path, query, period))  # caches as a running server has them
                if after_change and n:
                    touch(member.reseller_id)
                with CaptureQueriesContext(connection) as captured:
                    response = as_who.get(url(path, query, period))
                assert response.status_code == 200, (label, response.status_code)
                seen[period].append(len(captured))
        for period, numbers in seen.items():
            assert len(set(numbers)) == 1, f"{label}: queries vary by reseller ({period}): {seen}"
        # a period with nothing to show (May's April usage) may skip its totals' queries
        counts[label] = "/".join(str(n) for n in dict.fromkeys(v[0] for v in seen.values()))
    return counts


def session(cookie: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={cookie}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="per page, reseller and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8126)
    parser.add_argument(
        "--after-change",
        action="store_true",
        help="before each page request, change the data of the page's reseller (its report "
        "figures kept in the cache are computed again): the first visit after a change",
    )
    parser.add_argument(
        "--only", action="append", help="time only the pages whose label contains this (repeatable)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to bench/reports.py's PostgreSQL database.")
    args.rounds = max(args.rounds, 3)
    settings.BENCH_HELLO = True  # the in-process query counts reach the floor too
    from django.urls import clear_url_caches, path

    from portal import urls, views

    urls.urlpatterns.append(path("bench/hello/", views.bench_hello, name="bench_hello"))
    clear_url_caches()
    with scopes_disabled():
        resellers = list(
            Reseller.objects.filter(name__startswith="Bench reports reseller").order_by("name")[
                :RESELLERS
            ]
        )
        if len(resellers) < RESELLERS:
            raise SystemExit("No bench data: run bench/reports.py first (see the docstring).")
        members = [Membership.objects.get(reseller=r, role=Role.OWNER) for r in resellers]
        daily = [
            UsageSummary.objects.filter(reseller=r)
            .order_by("subscription_id", "meter_id")
            .values_list("subscription_id", "meter_id")
            .first()
            for r in resellers
        ]
        customers = sum(r.customers.count() for r in Reseller.objects.all())
        staff = User.objects.get(email="ops@bench.test")
    # the drill-down of each reseller's own; operations look at the same reseller
    page_lists = [pages(*one) + ops_pages(r.pk) for one, r in zip(daily, resellers, strict=True)]
    if args.only:
        page_lists = [
            [p for p in one if any(part in p[0] for part in args.only)] for one in page_lists
        ]
    page_list = page_lists[0]
    counts = check_queries(members, staff, page_lists, args.after_change)
    report_cache.fold()  # as the beat job does every 10 minutes (earlier runs' changes)
    cookies = [session_cookie(m) for m in members]
    staff_cookie = staff_session_cookie(staff)
    labels = ["floor", *(label for label, _, _ in page_list)]
    per_round: list[dict[str, float]] = []
    # the sessions written here are signed with this process's key: the server's
    with gunicorn(
        "pages", args.port, args.workers, BENCH_HELLO="1", SECRET_KEY=settings.SECRET_KEY
    ):
        wait_until_up(args.port, FLOOR, session(cookies[0]))
        for cookie, page_list in zip(cookies, page_lists, strict=True):  # warm-up
            for label, path, query in page_list:
                for period in PERIODS:
                    who = staff_cookie if label.startswith(OPS) else cookie
                    timed_get(args.port, url(path, query, period), session(who))
        for r in range(1, args.rounds + 1):
            samples: dict[str, list[float]] = {label: [] for label in labels}
            for n in range(args.requests):
                for cookie, page_list, member in zip(cookies, page_lists, members, strict=True):
                    period = PERIODS[n % 2]
                    for label, path, query in page_list:
                        who = staff_cookie if label.startswith(OPS) else cookie
                        samples["floor"].append(timed_get(args.port, FLOOR, session(cookie)))
                        if args.after_change:
                            touch(member.reseller_id)
                        samples[label].append(
                            timed_get(args.port, url(path, query, period), session(who))
                        )
            report_cache.fold()  # a round takes about a minute: as the beat job would
            figures = {label: p95(s) for label, s in samples.items()}
            per_round.append(figures)
            worst = max(labels[1:], key=lambda label: figures[label])
            print(
                f"round {r}: floor p95 {figures['floor']:.1f} ms, slowest {worst} "
                f"{figures[worst]:.1f} ms ({figures[worst] / figures['floor']:.2f}×)",
                flush=True,
            )
    best = {label: min(f[label] for f in per_round) for label in labels}
    median = {label: statistics.median(f[label] for f in per_round) for label in labels}
    print(
        f"\n{customers:,} customers, {args.workers} gunicorn workers, {RESELLERS} resellers, "
        f"periods {' and '.join(PERIODS)}; {args.rounds} rounds × {args.requests * RESELLERS} "
        "requests per page, each after a floor request"
        + (" and a change of its reseller's data (--after-change)" if args.after_change else "")
    )
    print(
        f"{'page':<40} {'queries':>7} {'p95 best':>9} {'median':>8} {'× floor best':>12} "
        f"{'median':>7}"
    )
    for label in labels:
        name = "floor: signed-in hello world" if label == "floor" else label
        print(
            f"{name:<40} {counts[label]:>7} {best[label]:>7.1f}ms {median[label]:>6.1f}ms "
            f"{best[label] / best['floor']:>12.2f} {median[label] / median['floor']:>7.2f}"
        )
    worst = max(labels[1:], key=lambda label: median[label] / median["floor"])
    print(
        f"slowest page against the floor: {worst} at "
        f"{median[worst] / median['floor']:.2f}× (median of rounds; target ≤ 5×); queries per "
        "page the same for two resellers in each period"
    )


if __name__ == "__main__":
    sys.exit(main())
