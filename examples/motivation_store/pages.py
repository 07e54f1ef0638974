"""The store's HTML. Everything shown is escaped: product names and API messages are text."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape

from examples.motivation_store.rewards import CENTS, RECIPIENT_LABEL, format_amount, price_label, recipient_field
from quadra_client import CatalogProduct, Order

STYLE = "body{font-family:sans-serif;max-width:46rem;margin:2rem auto}form{border:1px solid #ccc;padding:1rem;margin:1rem 0}"


def page(title: str, body: str, refresh: bool = False) -> str:
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")  # fmt: skip


def store(catalog: list[CatalogProduct], new_key: Callable[[], str]) -> str:
    """Each form carries its own idempotency key: sending it twice (a double click, a retry
    after a timeout) orders one reward."""
    offers = "".join(_offer(p, new_key()) for p in catalog)
    return page("Reward an employee", offers or "<p>The store is empty.</p>")


def _offer(product: CatalogProduct, key: str) -> str:
    field = recipient_field(product)
    amount = (f'<select name="amount">{"".join(f"<option>{Decimal(d) / CENTS:.2f}</option>" for d in product.denominations)}</select>'
              if product.denominations is not None else '<input name="amount" required placeholder="25.00">')  # fmt: skip
    return (
        f'<form method="post" action="/rewards"><h2>{escape(product.brand)}</h2>'
        f"<p>{escape(product.type.replace('_', ' '))} · {escape(price_label(product))}</p>"
        f'<input type="hidden" name="product_id" value="{escape(product.id)}">'
        f'<input type="hidden" name="idempotency_key" value="{escape(key)}">'
        f"<label>Amount ({escape(product.currency)}) {amount}</label><br>"
        '<label>Employee id <input name="employee_id" required></label><br>'
        f'<label>{RECIPIENT_LABEL[field]} <input name="recipient" required></label><br>'
        "<button>Send reward</button></form>"
    )


def refused(message: str, fields: list[str]) -> str:
    items = "".join(f"<li>{escape(f)}</li>" for f in fields)
    return page("The reward was not sent", f"<p>{escape(message)}</p><ul>{items}</ul><p><a href='/'>Back to the store</a></p>")


def reward(order: Order) -> str:
    delivery = "".join(f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in (order.delivery or {}).items())
    body = (
        f"<p>Order <code>{escape(order.id)}</code> for employee {escape(order.end_user_id)}</p>"
        f"<p>{escape(format_amount(order.amount.value, order.amount.currency))} · {escape(order.product_id)}</p>"
        f'<p>Status: <strong id="status">{escape(order.status)}</strong> — {escape(order.status_reason)}</p>'
        f"{f'<ul>{delivery}</ul>' if delivery else ''}<p><a href='/'>Back to the store</a></p>"
    )
    return page("Reward status", body, refresh=not order.is_resting)
