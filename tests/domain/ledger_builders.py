from __future__ import annotations

from dataclasses import replace
from typing import Any

from detectors.policy import approve_all
from domain.intake import admit
from domain.ledger import Account, Book, Limits
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.money import Money
from domain.orders import Order
from tests.builders import T0, order_request


def approved_order(n: int = 1, amount: int = 1000, company: str = "cmp_a", **req: Any) -> Order:
    request = order_request(
        request_id=f"{n:032x}", idempotency_key=f"k{n}", company_id=company,
        amount=Money(amount, "EUR"), **req,
    )  # fmt: skip
    order = admit(request, None, approve_all).order
    assert order is not None
    return order


def book_with(available: int = 0, credit_limit: int = 0, **account: Any) -> Book:
    return Book("cmp_a").with_account(
        Account("EUR", available=available, credit_limit=credit_limit, **account)
    )


def command(kind: CommandKind, n: int = 1, **fields: Any) -> BalanceCommand:
    values: dict[str, Any] = {
        "command_id": f"cmd-{n}", "company_id": "cmp_a", "kind": kind, "currency": "EUR",
        "actor": "staff-1", "at": T0,
    }  # fmt: skip
    values.update(fields)
    return BalanceCommand(**values)


def limits(**caps: Any) -> Limits:
    return replace(Limits(), **caps)
