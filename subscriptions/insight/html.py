"""The savings page's rows rendered in one pass in Python (the template engine resolved each
cell's lookups, and a subscription without a scheduled change cost a failed lookup and a
`dir()` of the model instance per row): the HTML the template gave, every text escaped."""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from portal.numbers import money

EMPTY = '<tr><td colspan="10" class="muted">No unused or reclaimable seats.</td></tr>'


def _date(value) -> str:
    return value.isoformat() if value else ""  # the template's date:"Y-m-d"


def _action(row, *, can_order: bool) -> str:
    sub = row.subscription
    change = getattr(sub, "scheduled_change", None)  # None: no scheduled change
    if change is not None and change.quantity:
        return (
            f'<small class="muted">{change.quantity} seats from '
            f"{_date(change.effective_on)}</small>"
        )
    keep = row.keep
    if can_order and sub.auto_renew and keep < sub.quantity:
        return (
            f'<form method="get" action="{escape(row.decrease_url)}"><span hidden '
            f'data-testid="savings-keep">{keep}</span><button type="submit" class="secondary">'
            f"Decrease to {keep} at renewal</button></form>"
        )
    return ""


def savings_rows(rows, *, savings_url: str, show_money: bool, can_order: bool) -> SafeString:
    """The table body's rows (`selectors.Row`s of one page, with their links set)."""
    if not rows:
        return mark_safe(EMPTY)  # noqa: S308 — a constant
    url = escape(savings_url)
    out = []
    for row in rows:
        sub, saved = row.subscription, row.savings
        currency = sub.currency
        source = "from the tenant" if row.source == "tenant" else "portal assignments"
        cost = (
            f'<td class="num">{escape(money(saved.monthly_cost, currency))}</td>'
            if show_money
            else ""
        )
        out.append(
            f'\n  <tr data-testid="savings-row"><td><a href="{url}?customer={sub.customer_id}">'
            f"{escape(sub.customer.company_name)}</a></td>\n"
            f'    <td><a href="{escape(row.detail_url)}" data-testid="savings-offer">'
            f'{escape(sub.offer.name)}</a> <small class="muted">{source}</small></td>\n'
            f"    <td>{sub.quantity}</td><td>{saved.unused}</td><td>{saved.reclaimable}</td>\n"
            f'    <td class="num">{escape(money(saved.monthly_price, currency))}</td>'
            f'<td class="num">{escape(money(saved.until_renewal_price, currency))}</td>\n'
            f"    {cost}\n"
            f"    <td>{_date(saved.renewal)}</td>\n"
            f"    <td>{_action(row, can_order=can_order)}</td></tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 — every text went through escaping
