from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer
from portal.decorators import member_required, staff_required
from portal.permissions import require
from portal.roles import role_can
from subscriptions import selectors, services
from subscriptions.forms import CatalogImportForm, CustomerBookForm, PriceRuleForm
from subscriptions.models import ProductType


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@member_required
def catalog(request):
    member = request.membership
    show_money = role_can(member.role, "billing.view_money")
    today = timezone.now().date()
    offers = list(selectors.catalog_offers())
    for offer in offers:
        offer.current_costs = [
            (term, selectors.cost_on(offer, term, member.reseller.currency, today))
            for term in offer.term_list] if show_money else []
    return render(request, "subscriptions/catalog.html", {
        "offers": offers, "show_money": show_money, "types": selectors.product_types(),
        "can_edit_prices": role_can(member.role, "pricebooks.edit"),
    })


def _require_price_access(member):
    if not (role_can(member.role, "pricebooks.edit")
            or role_can(member.role, "billing.view_money")):
        require(member, "pricebooks.edit")


@member_required
def price_books(request):
    member = request.membership
    _require_price_access(member)
    books = list(selectors.price_books_of(member.reseller))
    with_book = {b.customer_id for b in books if b.customer_id}
    customers = Customer.objects.filter(reseller=member.reseller).exclude(pk__in=with_book)
    return render(request, "subscriptions/price_books.html", {
        "books": books, "has_default": any(b.customer_id is None for b in books),
        "customer_form": CustomerBookForm(customers=customers),
        "can_edit": role_can(member.role, "pricebooks.edit"),
    })


@member_required
@require_POST
def price_book_create(request):
    member = request.membership
    customer = None
    if request.POST.get("customer"):
        form = CustomerBookForm(request.POST, customers=Customer.objects.filter(
            reseller=member.reseller))
        if not form.is_valid():
            messages.error(request, "Choose one of your customers.")
            return redirect("subscriptions:price_books")
        customer = form.cleaned_data["customer"]
    try:
        book = services.price_book_create(member=member, customer=customer)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("subscriptions:price_books")
    messages.success(request, f"“{book}” created. Add its rules below.")
    return redirect("subscriptions:price_book", price_book_id=book.pk)


@member_required
def price_book(request, price_book_id):
    member = request.membership
    _require_price_access(member)
    book = selectors.price_book_get(member=member, price_book_id=price_book_id)
    form = PriceRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.price_rule_add(
                member=member, book=book, kind=data["kind"], offer=data["offer"],
                product_type=data["product_type"], term=data["term"],
                percent=data["percent"],
                fixed_price=data["fixed_price"], effective_from=data["effective_from"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Price rule added.")
            return redirect("subscriptions:price_book", price_book_id=book.pk)
    on = _preview_date(request)
    currency = book.customer.currency if book.customer_id else member.reseller.currency
    return render(request, "subscriptions/price_book.html", {
        "book": book, "rules": book.rules.select_related("offer", "product_type"),
        "form": form, "preview": selectors.price_preview(book=book, currency=currency, on=on),
        "preview_on": on, "currency": currency, "today": timezone.now().date(),
        "can_edit": role_can(member.role, "pricebooks.edit"),
    })


def _preview_date(request):
    try:
        return timezone.datetime.fromisoformat(request.GET["on"]).date()
    except (KeyError, ValueError):
        return timezone.now().date()


@member_required
@require_POST
def price_rule_remove(request, price_rule_id):
    member = request.membership
    rule = selectors.price_rule_get(member=member, price_rule_id=price_rule_id)
    try:
        services.price_rule_remove(member=member, rule=rule)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Price rule removed.")
    return redirect("subscriptions:price_book", price_book_id=rule.book_id)


@staff_required
def ops_catalog_import(request):
    form = CatalogImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.catalog_import(user=request.user, data=upload.read(),
                                             filename=upload.name)
        except ValidationError as exc:
            errors = exc.messages
            messages.error(request, f"{upload.name} was not imported: nothing was changed. "
                                    "Fix the lines below and upload the whole file again.")
        else:
            messages.success(request, (
                f"{upload.name} imported: {result.offers_created} offers created, "
                f"{result.offers_updated} updated; {result.prices_created} prices created, "
                f"{result.prices_updated} updated."))
            return redirect("subscriptions_ops:catalog_import")
    return render(request, "subscriptions/ops_catalog_import.html", {
        "form": form, "errors": errors,
        "types": ProductType.objects.all(),
    })
