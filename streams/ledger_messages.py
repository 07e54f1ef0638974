"""Wire and state encodings for the ledger: books, holds, entries, commands, payout results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

from domain.ledger import (
    Account,
    BalanceStatus,
    Book,
    Entry,
    EntryKind,
    Hold,
    HoldState,
    LedgerAccount,
    Limits,
    LowBalance,
    Usage,
)
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.orders import Order
from streams.messages import MessageError, dumps, loads, order_from_dict, order_to_dict

T = TypeVar("T")


def _pairs(value: Any) -> tuple[tuple[str, int], ...]:
    return tuple((str(k), int(v)) for k, v in value)


def _decoded(what: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad {what}: {exc!r}") from exc


def limits_from_dict(d: dict[str, Any]) -> Limits:
    return Limits(
        per_order=d.get("per_order"),
        per_day=d.get("per_day"),
        per_month=d.get("per_month"),
        per_end_user_day=d.get("per_end_user_day"),
        per_product_day=_pairs(d.get("per_product_day", ())),
    )


def book_to_dict(book: Book) -> dict[str, Any]:
    return {
        "company_id": book.company_id,
        "accounts": [
            {**asdict(a), "status": a.status.value} for a in book.accounts
        ],
    }


def book_from_dict(d: dict[str, Any]) -> Book:
    accounts = []
    for a in d["accounts"]:
        usage = a["usage"]
        accounts.append(
            Account(
                currency=a["currency"],
                available=int(a["available"]),
                reserved=int(a["reserved"]),
                credit_limit=int(a["credit_limit"]),
                low_balance_threshold=a.get("low_balance_threshold"),
                low_notified=bool(a["low_notified"]),
                status=BalanceStatus(a["status"]),
                limits=limits_from_dict(a["limits"]),
                usage=Usage(
                    usage["day"], int(usage["day_total"]), usage["month"],
                    int(usage["month_total"]), _pairs(usage["product_day"]),
                ),  # fmt: skip
                last_entry_at=_optional_time(a.get("last_entry_at")),  # absent in older books
            )
        )
    return Book(d["company_id"], tuple(accounts))


def _optional_time(raw: Any) -> datetime | None:
    if raw is None or isinstance(raw, datetime):  # a dict not yet through JSON holds the object
        return raw
    return datetime.fromisoformat(raw)


def encode_book(book: Book) -> bytes:
    return dumps(book_to_dict(book))


def decode_book(raw: bytes | None) -> Book:
    return _decoded("book", lambda: book_from_dict(loads(raw)))


def encode_hold(hold: Hold) -> bytes:
    return dumps({**asdict(hold), "state": hold.state.value})


def _hold(d: dict[str, Any]) -> Hold:
    return Hold(
        d["order_id"], d["company_id"], d["currency"], int(d["amount"]), d["end_user_id"],
        d["product_id"], d["day"], HoldState(d["state"]), d["reason"],
        fee=int(d.get("fee", 0)),  # holds stored before fees existed reserved none
    )  # fmt: skip


def decode_hold(raw: bytes | None) -> Hold:
    return _decoded("hold", lambda: _hold(loads(raw)))


def encode_entry(entry: Entry) -> bytes:
    return dumps(
        {
            **asdict(entry),
            "kind": entry.kind.value,
            "source": entry.source.value,
            "target": entry.target.value,
            "at": entry.at.isoformat(),
        }
    )


def _entry(d: dict[str, Any]) -> Entry:
    d.pop("v")
    d["kind"] = EntryKind(d["kind"])
    d["source"] = LedgerAccount(d["source"])
    d["target"] = LedgerAccount(d["target"])
    d["at"] = datetime.fromisoformat(d["at"])
    return Entry(**d)


def decode_entry(raw: bytes | None) -> Entry:
    return _decoded("ledger entry", lambda: _entry(loads(raw)))


@dataclass(frozen=True, slots=True)
class CommandEnvelope:
    """A balance command plus who waits for its verdict."""

    request_id: str
    command: BalanceCommand


def encode_command(envelope: CommandEnvelope) -> bytes:
    c = envelope.command
    return dumps(
        {
            "request_id": envelope.request_id,
            "command": {
                **{k: v for k, v in asdict(c).items() if k != "limits"},
                "kind": c.kind.value,
                "at": c.at.isoformat(),
                "limits": None if c.limits is None else asdict(c.limits),
            },
        }
    )


def _envelope(d: dict[str, Any]) -> CommandEnvelope:
    c = dict(d["command"])
    c["kind"] = CommandKind(c["kind"])
    c["at"] = datetime.fromisoformat(c["at"])
    c["limits"] = None if c.get("limits") is None else limits_from_dict(c["limits"])
    return CommandEnvelope(str(d["request_id"]), BalanceCommand(**c))


def decode_command(raw: bytes | None) -> CommandEnvelope:
    return _decoded("balance command", lambda: _envelope(loads(raw)))


@dataclass(frozen=True, slots=True)
class PayoutResult:
    """What dispatch reports: the order (after its `dispatched` step) and whether it paid.

    `delivery` is what the provider handed over for the end user (gift code, virtual card
    details) as a JSON object sealed by the card vault: never in clear on a topic.
    """

    order: Order
    paid: bool
    reason: str
    delivery: str | None = None


def encode_payout_result(result: PayoutResult) -> bytes:
    return dumps({
        "order": order_to_dict(result.order), "paid": result.paid, "reason": result.reason,
        "delivery": result.delivery,
    })  # fmt: skip


def _payout_result(d: dict[str, Any]) -> PayoutResult:
    delivery = d.get("delivery")
    if delivery is not None and not isinstance(delivery, str):
        raise ValueError("delivery must be the vault's ciphertext")
    return PayoutResult(order_from_dict(d["order"]), bool(d["paid"]), str(d["reason"]), delivery)


def decode_payout_result(raw: bytes | None) -> PayoutResult:
    return _decoded("payout result", lambda: _payout_result(loads(raw)))


def encode_low_balance(event: LowBalance) -> bytes:
    return dumps(
        {
            "type": "balance.low",
            "event_id": f"balance.low:{event.company_id}:{event.currency}:{event.at.isoformat()}",
            "company_id": event.company_id,
            "currency": event.currency,
            "available": event.available,
            "threshold": event.threshold,
            "at": event.at.isoformat(),
        }
    )
