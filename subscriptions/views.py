import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from customers.models import Customer
from portal.confirm import confirm_page
from portal.decorators import member_required, staff_required
from portal.forms_utils import posted, posted_files
from portal.numbers import money
from portal.outcome import act, error_text
from portal.permissions import require
from portal.roles import role_can
from subscriptions import selectors, services
from subscriptions.catalog import sync as catalog_sync
from subscriptions.catalog.models import Offer, ProductType
from subscriptions.catalog.pricing import PricingError
from subscriptions.filters import SubscriptionFilter
from subscriptions.forms import (
    AssignForm,
    CatalogImportForm,
    CustomerBookForm,
    ExchangeForm,
    FrequencyForm,
    PriceRuleForm,
    PurchaseForm,
    SeatsForm,
    TermChangeForm,
    UpgradeForm,
)
from subscriptions.insight import selectors as insight_selectors
from subscriptions.insight.models import TenantLicence
from subscriptions.models import ChargeEvent, ScheduledChange
from subscriptions.proration import round_money
from subscriptions.tables import SubscriptionTable


@member_required
def catalog(request):
    member = request.membership
    show_money = role_can(member.role, "billing.view_money")
    today = timezone.now().date()
    offers = list(selectors.catalog_offers())
    for offer in offers:
        offer.current_costs = (
            [
                (term, selectors.cost_on(offer, term, member.reseller.currency, today))
                for term in offer.term_list
            ]
            if show_money
            else []
        )
    return render(
        request,
        "subscriptions/catalog.html",
        {
            "offers": offers,
            "show_money": show_money,
            "types": selectors.product_types(),
            "can_edit_prices": role_can(member.role, "pricebooks.edit"),
        },
    )


_require_price_access = selectors.require_price_access


@member_required
def price_books(request):
    member = request.membership
    _require_price_access(member)
    books = list(selectors.price_books_of(member.reseller))
    with_book = {b.customer_id for b in books if b.customer_id}
    customers = Customer.objects.filter(reseller=member.reseller).exclude(pk__in=with_book)
    return render(
        request,
        "subscriptions/price_books.html",
        {
            "books": books,
            "has_default": any(b.customer_id is None for b in books),
            "customer_form": CustomerBookForm(customers=customers),
            "can_edit": role_can(member.role, "pricebooks.edit"),
        },
    )


@member_required
@require_POST
def price_book_create(request):
    member = request.membership
    customer = None
    if request.POST.get("customer"):
        form = CustomerBookForm(
            request.POST, customers=Customer.objects.filter(reseller=member.reseller)
        )
        if not form.is_valid():
            messages.error(request, "Choose one of your customers.")
            return redirect("subscriptions:price_books")
        customer = form.cleaned_data["customer"]
    try:
        book = services.price_book_create(member=member, customer=customer)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("subscriptions:price_books")
    messages.success(request, f"“{book}” created. Add its rules below.")
    return redirect("subscriptions:price_book", price_book_id=book.pk)


@member_required
def price_book(request, price_book_id):
    member = request.membership
    _require_price_access(member)
    book = selectors.price_book_get(member=member, price_book_id=price_book_id)
    form = PriceRuleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.price_rule_add(
                member=member,
                book=book,
                kind=data["kind"],
                offer=data["offer"],
                product_type=data["product_type"],
                term=data["term"],
                percent=data["percent"],
                fixed_price=data["fixed_price"],
                currency=data["currency"],
                effective_from=data["effective_from"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Price rule added.")
            return redirect("subscriptions:price_book", price_book_id=book.pk)
    on = _preview_date(request)
    currency = book.customer.currency if book.customer_id else member.reseller.currency
    return render(
        request,
        "subscriptions/price_book.html",
        {
            "book": book,
            "rules": book.rules.select_related("offer", "product_type"),
            "form": form,
            "preview": selectors.price_preview(book=book, currency=currency, on=on),
            "preview_on": on,
            "currency": currency,
            "today": timezone.now().date(),
            "can_edit": role_can(member.role, "pricebooks.edit"),
        },
    )


def _preview_date(request):
    try:
        return timezone.datetime.fromisoformat(request.GET["on"]).date()
    except (KeyError, ValueError):
        return timezone.now().date()


@member_required
@require_http_methods(["GET", "POST"])
def price_rule_remove(request, price_rule_id):
    member = request.membership
    rule = selectors.price_rule_get(member=member, price_rule_id=price_rule_id)
    if request.method == "GET":
        require(member, "pricebooks.edit")
        return confirm_page(
            request,
            title=f"Remove this rule from {rule.book.name}?",
            consequences=[
                str(rule),
                f"From {rule.effective_from:%Y-%m-%d} prices come from "
                "the remaining rules (or the default book) instead.",
            ],
            button="Remove the rule",
            back=reverse("subscriptions:price_book", kwargs={"price_book_id": rule.book_id}),
        )
    try:
        services.price_rule_remove(member=member, rule=rule)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Price rule removed.")
    return redirect("subscriptions:price_book", price_book_id=rule.book_id)


@staff_required
def ops_catalog_import(request):
    form = CatalogImportForm(posted(request), posted_files(request))
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.catalog_import(
                user=request.user, data=upload.read(), filename=upload.name
            )
        except ValidationError as exc:
            errors = exc.messages
            messages.error(
                request,
                f"{upload.name} was not imported: nothing was changed. "
                "Fix the lines below and upload the whole file again.",
            )
        else:
            messages.success(
                request,
                (
                    f"{upload.name} imported: {result.offers_created} offers created, "
                    f"{result.offers_updated} updated; {result.prices_created} prices created, "
                    f"{result.prices_updated} updated."
                ),
            )
            return redirect("subscriptions_ops:catalog_import")
    return render(
        request,
        "subscriptions/ops_catalog_import.html",
        {
            "form": form,
            "errors": errors,
            "types": ProductType.objects.all(),
        },
    )


@staff_required
def ops_catalog_sync(request):
    """Operations start a catalog sync from Partner Center for a country and see the last
    result of each."""
    if request.method == "POST":
        try:
            run = catalog_sync.catalog_sync_start(
                user=request.user, country=request.POST.get("country", "")
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, f"Catalog sync for {run.country} started; this page shows its result."
            )
        return redirect("subscriptions_ops:catalog_sync")
    return render(
        request,
        "subscriptions/ops_catalog_sync.html",
        {"runs": catalog_sync.last_syncs(), "countries": catalog_sync.COUNTRIES},
    )


# Subscriptions


def _new_key() -> str:
    return uuid.uuid4().hex


def _int_or_none(value):
    return int(value) if value and value.isdigit() else None


def _buyable_offers():
    return Offer.objects.filter(
        is_active=True, product_type__status=ProductType.Status.SELLABLE
    ).select_related("product_type")


@member_required
def subscription_list(request):
    member = request.membership
    subs = selectors.subscriptions_of(member.reseller)
    filtered = SubscriptionFilter(request.GET, queryset=subs)
    table = SubscriptionTable(filtered.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "subscriptions/list.html",
        {"filter": filtered, "table": table, "can_order": role_can(member.role, "orders.place")},
    )


@member_required
def renewals(request):
    days = int(request.GET.get("days", 30)) if request.GET.get("days") in ("30", "60", "90") else 30
    today = timezone.now().date()
    subs = selectors.renewals_within(request.reseller, days=days, today=today)
    return render(request, "subscriptions/renewals.html", {"subs": subs, "days": days})


@member_required
def purchase(request):
    member = request.membership
    require(member, "orders.place")
    customers = Customer.objects.filter(reseller=member.reseller)
    initial = {"idempotency_key": _new_key(), "customer": request.GET.get("customer")}
    form = PurchaseForm(
        posted(request), initial=initial, customers=customers, offers=_buyable_offers()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = services.subscription_purchase(
                member=member,
                customer=data["customer"],
                offer=data["offer"],
                term=data["term"],
                billing_frequency=data["billing_frequency"],
                quantity=data["quantity"],
                auto_renew=data["auto_renew"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            sub.refresh_from_db()
            if sub.is_provisioned:
                closes = selectors.window_state(sub, timezone.now())["closes_at"]
                messages.success(
                    request,
                    f"Bought {sub.quantity} × {sub.offer.name} for "
                    f"{sub.customer}. It can be cancelled until "
                    f"{closes:%Y-%m-%d %H:%M} UTC.",
                )
            else:
                messages.info(
                    request,
                    f"Ordered {sub.quantity} × {sub.offer.name} for "
                    f"{sub.customer}: {sub.get_provisioning_display()}.",
                )
            return redirect("subscriptions:detail", subscription_id=sub.pk)
    return render(
        request,
        "subscriptions/purchase.html",
        {"form": form, "missing": _missing(member, form, customers)},
    )


def _missing(member, form, customers) -> list | None:
    """What the chosen customer (and offer) still lack before an order, None if none chosen."""
    data = getattr(form, "cleaned_data", None) or {}
    customer, offer = data.get("customer"), data.get("offer")
    if customer is None:
        chosen = form["customer"].value()
        customer = customers.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    if customer is None:
        return None
    return selectors.purchase_missing(member.reseller, customer, offer)


@member_required
def purchase_quote(request):
    """htmx: the price of the chosen offer for the chosen customer, term and billing."""
    member = request.membership
    require(member, "orders.place")
    form = PurchaseForm(
        request.GET,
        customers=Customer.objects.filter(reseller=member.reseller),
        offers=_buyable_offers(),
    )
    form.is_valid()
    data = form.cleaned_data
    quote = error = None
    if {"customer", "offer", "term", "billing_frequency"} <= data.keys():
        try:
            quote = selectors.customer_cycle_price(
                customer=data["customer"],
                offer=data["offer"],
                term=data["term"],
                frequency=data["billing_frequency"],
                on=timezone.now().date(),
            )
        except PricingError as exc:
            error = str(exc)
        if quote is None and not error:
            error = f"No {data['term']} price in {data['customer'].currency}."
    quantity = data.get("quantity") or 1
    return render(
        request,
        "subscriptions/_quote.html",
        {
            "missing": _missing(member, form, Customer.objects.filter(reseller=member.reseller)),
            "quote": quote,
            "error": error,
            "quantity": quantity,
            # the line is the per-seat price × seats rounded once, as the charge will be
            "total": round_money(quote.price * quantity, quote.currency) if quote else None,
            "show_money": role_can(member.role, "billing.view_money"),
            "frequency": data.get("billing_frequency"),
        },
    )


@member_required
def subscription_detail(request, subscription_id):
    member = request.membership
    sub = selectors.subscription_get(member=member, subscription_id=subscription_id)
    now = timezone.now()
    # Partner Center's upgrade options are a second call to it: asked once the page shows
    # (upgrade_options below), or here when the no-JavaScript link asks for them
    upgradable = services.may_upgrade(sub)
    inline = upgradable and request.GET.get("upgrades") == "1"
    return render(
        request,
        "subscriptions/detail.html",
        {
            "sub": sub,
            "pc": services.partner_center_facts(sub),
            "upgrade_later": upgradable and not inline,
            **(_upgrade_context(sub) if inline else {}),
            "window": selectors.window_state(sub, now),
            "scheduled": ScheduledChange.objects.filter(subscription=sub).first(),
            "assignments": sub.assignments.all(),
            "charges": ChargeEvent.objects.filter(subscription=sub).order_by("-charge_date", "-pk"),
            "seats_form": SeatsForm(
                initial={"quantity": sub.quantity, "idempotency_key": _new_key()}
            ),
            "schedule_quantity": _int_or_none(request.GET.get("schedule")),
            "new_key": _new_key(),
            "assign_form": AssignForm(),
            "term_form": TermChangeForm(
                subscription=sub,
                initial={"idempotency_key": _new_key(), "billing_frequency": sub.billing_frequency},
            ),
            "frequency_form": FrequencyForm(subscription=sub),
            "exchange_form": ExchangeForm(
                initial={
                    "offer": sub.offer_id,
                    "term": sub.term,
                    "quantity": sub.quantity,
                    "billing_frequency": sub.billing_frequency,
                    "idempotency_key": _new_key(),
                }
            )
            if sub.offer.product_type.code == "reserved-instance" and sub.is_active
            else None,
            "can_order": role_can(member.role, "orders.place"),
            "show_money": role_can(member.role, "billing.view_money"),
            "has_seats": sub.offer.product_type.billing == ProductType.Billing.SEATS,
            "unused": sub.quantity - sub.assigned,
            "licence": TenantLicence.objects.filter(subscription=sub).first(),
            "saving": insight_selectors.savings_of(sub, now=now) if sub.is_active else None,
        },
    )


def _upgrade_context(sub) -> dict:
    upgrades, no_upgrade = services.upgrade_options(sub)
    return {
        "upgrades": upgrades,
        "no_upgrade": no_upgrade,
        "upgrade_form": UpgradeForm(
            offers=[o for o, _ in upgrades],
            max_quantity=sub.quantity,
            initial={"quantity": sub.quantity, "idempotency_key": _new_key()},
        )
        if upgrades
        else None,
    }


@member_required
def upgrade_options(request, subscription_id):
    """The subscription page's Upgrade card: what Partner Center offers now (loaded by htmx
    once the page shows)."""
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    context = {"sub": sub, **(_upgrade_context(sub) if services.may_upgrade(sub) else {})}
    return render(request, "subscriptions/_upgrade.html", context)


@member_required
def provisioning_status(request, subscription_id):
    """The order's state, polled by the subscription page while Partner Center provisions it;
    once provisioned the whole page reloads (HX-Refresh) to show the subscription."""
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    response = render(request, "subscriptions/_provisioning.html", {"sub": sub})
    if sub.is_provisioned or sub.provisioning == sub.Provisioning.FAILED:
        response["HX-Refresh"] = "true"
    return response


def _subscription_action(request, subscription_id, action):
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    return act(
        request,
        lambda: action(sub),
        success=str,
        then="subscriptions:detail",
        subscription_id=sub.pk,
    )


@member_required
@require_POST
def change_seats(request, subscription_id):
    """Change seats now; a decrease that has to wait for renewal comes back to the page with
    an offer to schedule it."""
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    form = SeatsForm(request.POST)
    target = reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})
    if not form.is_valid():
        messages.error(request, "Enter the number of seats (0 or more).")
        return redirect(target)
    data = form.cleaned_data
    try:
        done = services.subscription_change_seats(
            member=request.membership,
            subscription=sub,
            quantity=data["quantity"],
            idempotency_key=data["idempotency_key"],
            schedule=data["schedule"],
        )
    except services.NeedsScheduling as exc:
        messages.warning(request, error_text(exc))
        return redirect(f"{target}?schedule={data['quantity']}")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect(target)


def _cancel_consequences(request, sub) -> list[str]:
    now = timezone.now()
    window, credit = selectors.window_state(sub, now), selectors.cancel_credit(sub, now)
    lines = [
        f"Partner Center cancels {sub.quantity} × {sub.offer.name} for {sub.customer} "
        "now; its users lose the service."
    ]
    if credit is None:
        lines.append("Usage up to today is still billed.")
    elif sub.offer.product_type.billing == ProductType.Billing.ONE_TIME:
        lines.append(
            f"The customer is refunded {money(credit['price'], credit['currency'])} in full."
        )
    else:
        lines.append(
            f"The customer is credited {money(credit['price'], credit['currency'])}: "
            + (
                "the whole charge cycle (cancelled within 24 hours)."
                if credit["full"]
                else "the rest of the charge cycle."
            )
        )
        lines.append(
            f"The cancellation window closes {window['closes_at']:%Y-%m-%d %H:%M} UTC"
            if window["open"]
            else "The cancellation window closed "
            f"{window['closes_at']:%Y-%m-%d %H:%M} UTC: Partner Center will refuse."
        )
    if credit is not None and role_can(request.membership.role, "billing.view_money"):
        lines.append(f"Your cost is credited {money(credit['cost'], credit['currency'])}.")
    return lines


@member_required
@require_http_methods(["GET", "POST"])
def cancel(request, subscription_id):
    if request.method == "GET":
        require(request.membership, "orders.place")
        sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
        return confirm_page(
            request,
            title=f"Cancel {sub.offer.name} for {sub.customer}?",
            consequences=_cancel_consequences(request, sub),
            button="Cancel the subscription",
            back=reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}),
            hidden={"idempotency_key": _new_key()},
        )
    return _subscription_action(
        request,
        subscription_id,
        lambda sub: services.subscription_cancel(
            member=request.membership,
            subscription=sub,
            idempotency_key=request.POST.get("idempotency_key") or _new_key(),
        ),
    )


@member_required
@require_POST
def auto_renew(request, subscription_id):
    return _subscription_action(
        request,
        subscription_id,
        lambda sub: services.subscription_set_auto_renew(
            member=request.membership,
            subscription=sub,
            auto_renew=request.POST.get("auto_renew") == "1",
        ),
    )


@member_required
@require_POST
def scheduled_change_remove(request, subscription_id):
    def remove(sub):
        services.scheduled_change_cancel(member=request.membership, subscription=sub)
        return "The scheduled change was removed."

    return _subscription_action(request, subscription_id, remove)


def _formerror_text(form) -> ValidationError:
    return ValidationError(
        " ".join(f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items())
    )


def _form_errors(form) -> ValidationError:
    return ValidationError(
        " ".join(f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items())
    )


@member_required
@require_POST
def change_term(request, subscription_id):
    def lengthen(sub):
        form = TermChangeForm(request.POST, subscription=sub)
        if not form.is_valid():
            raise _formerror_text(form)
        return services.subscription_change_term(
            member=request.membership, subscription=sub, **form.cleaned_data
        )

    return _subscription_action(request, subscription_id, lengthen)


@member_required
@require_POST
def change_frequency(request, subscription_id):
    def schedule(sub):
        form = FrequencyForm(request.POST, subscription=sub)
        if not form.is_valid():
            raise _formerror_text(form)
        return services.subscription_schedule_frequency(
            member=request.membership, subscription=sub, **form.cleaned_data
        )

    return _subscription_action(request, subscription_id, schedule)


@member_required
@require_POST
def exchange(request, subscription_id):
    """Exchange a Reserved Instance: on success, the new reservation's page."""
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    form = ExchangeForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        new = services.subscription_exchange_reservation(
            member=request.membership, subscription=sub, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("subscriptions:detail", subscription_id=sub.pk)
    messages.success(
        request,
        f"Exchanged: {new.quantity} × {new.offer.name} ({new.term}, "
        f"billed {new.get_billing_frequency_display().lower()}) from "
        f"{new.term_start}; the old reservation ended with a prorated "
        "credit.",
    )
    return redirect("subscriptions:detail", subscription_id=new.pk)


@member_required
@require_POST
def upgrade(request, subscription_id):
    """Upgrade all or some seats (Partner Center transition): on success, the new one's page."""
    sub = selectors.subscription_get(member=request.membership, subscription_id=subscription_id)
    form = UpgradeForm(request.POST, offers=Offer.objects.filter(is_active=True))
    try:
        if not form.is_valid():
            raise _form_errors(form)
        new = services.subscription_upgrade(
            member=request.membership,
            subscription=sub,
            to_offer=form.cleaned_data["offer"],
            quantity=form.cleaned_data["quantity"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("subscriptions:detail", subscription_id=sub.pk)
    messages.success(
        request,
        f"Upgraded {new.quantity} seat{'s' if new.quantity > 1 else ''} to {new.offer.name}: "
        f"credited on {sub.offer.name}, charged here, each prorated to the end of the cycle.",
    )
    return redirect("subscriptions:detail", subscription_id=new.pk)


@member_required
@require_POST
def assign(request, subscription_id):
    form = AssignForm(request.POST)

    def add(sub):
        if not form.is_valid():
            raise _formerror_text(form)
        a = services.seat_assign(member=request.membership, subscription=sub, **form.cleaned_data)
        return f"{a.display_name} has a seat."

    return _subscription_action(request, subscription_id, add)


@member_required
@require_http_methods(["GET", "POST"])
def unassign(request, assignment_id):
    assignment = selectors.assignment_get(member=request.membership, assignment_id=assignment_id)
    if request.method == "GET":
        require(request.membership, "orders.place")
        sub = assignment.subscription
        return confirm_page(
            request,
            title=f"Take {assignment.display_name}'s seat?",
            consequences=[
                f"{assignment.display_name} ({assignment.user_principal_name}) "
                f"loses {sub.offer.name}; the seat stays paid for and can be "
                "given to someone else."
            ],
            button="Unassign",
            back=reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}),
        )
    services.seat_unassign(member=request.membership, assignment=assignment)
    messages.success(request, f"{assignment.display_name} no longer has a seat.")
    return redirect("subscriptions:detail", subscription_id=assignment.subscription_id)


# Operations: orders Partner Center has not provisioned


@staff_required
def ops_provisioning(request):
    return render(
        request, "subscriptions/ops_provisioning.html", {"subs": selectors.ops_unprovisioned()}
    )


@staff_required
@require_POST
def ops_provisioning_retry(request, subscription_id):
    try:
        sub = services.subscription_provision_retry(
            user=request.user, subscription_id=subscription_id
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        sub.refresh_from_db()
        messages.success(
            request,
            f"Order of {sub.offer.name} for {sub.customer} sent again: "
            f"{sub.get_provisioning_display()}.",
        )
    return redirect("provisioning_ops:list")
