"""Flagged-order histories for the top-suspects rollup tests, stored as the sinks store them:
order versions into `orders` then the orders route's own after-insert hook (quadra.runtime),
decisions into `decisions` then theirs (decision_history.store). Random histories have end users
and recipients that repeat (the same end user name in two companies, a card token under two
masks, orders without a recipient), orders without a stored decision, replays (identical, and
decisions with another outcome and score), late rows and times at hour and day edges."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.rows import ORDER_COLUMNS
from quadra.runtime import sink_routes
from streams.topics import TopicNames
from tests.analytics.rollups.decision_history import COMPANIES, DAY0, RULES, D, H, MS, row
from tests.analytics.rollups.decision_history import store as store_decisions

OUTCOMES = ("approved", "declined", "declined", "in_review", "in_review")
SCORES = (0.0, 0.3333, 0.5, 0.9995, 1.0, -1.0)  # rounding edges, no model


def _order(order_id: str, company: str, at: datetime, status: str, version: int, end_user: str,
           recipient: dict[str, str]) -> tuple[Any, ...]:  # fmt: skip
    kind = recipient["kind"]
    snapshot = orjson.dumps({"id": order_id, "recipient": {
        "kind": kind, "phone": recipient.get("phone"), "email": recipient.get("email"),
        "card_token": recipient.get("token"), "card_ciphertext": None,
    }}).decode()  # fmt: skip
    values = {
        "order_id": order_id, "company_id": company, "idempotency_key": order_id, "product_id": "card-transfer-eur",
        "product_type": "card_transfer", "provider": "", "amount_value": 1000, "fee_value": 0, "currency": "EUR",
        "status": status, "status_reason": "", "recipient_kind": kind, "card_bin": recipient.get("bin", ""),
        "card_last4": recipient.get("last4", ""), "card_token": recipient.get("token", ""), "end_user_id": end_user,
        "external_id": "", "sandbox": 0, "created_at": at, "updated_at": at + version * MS, "version": version,
        "batch_id": "", "batch_line": 0, "snapshot": snapshot,
    }  # fmt: skip
    return tuple(values[c] for c in ORDER_COLUMNS)


def _recipient(rnd: random.Random) -> dict[str, str]:
    pick = rnd.random()
    if pick < 0.5:  # a few cards, one of them seen under two masks
        token = f"tok_{rnd.randrange(8)}"
        last4 = rnd.choice(("1111", "2222")) if token == "tok_0" else f"{len(token) * 1111:04d}"
        return {"kind": "card", "token": token, "bin": "411111", "last4": last4}
    if pick < 0.75:
        return {"kind": "phone", "phone": f"+4917012345{rnd.randrange(6)}"}
    if pick < 0.9:
        return {"kind": "email", "email": f"u{rnd.randrange(6)}@example.test"}
    return {"kind": "email"}  # no address: no recipient


def _at(rnd: random.Random, days: int) -> datetime:
    if rnd.random() < 0.1:  # the last millisecond of an hour or of a day, or the first of one
        at = DAY0 + rnd.randrange(days) * D + rnd.choice((H, D, 0 * H)) - rnd.choice((MS, 0 * MS))
        return max(at, DAY0)
    return DAY0 + timedelta(milliseconds=rnd.randrange(days * 86_400_000))


Order = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]  # order versions, decisions


def random_orders(rnd: random.Random, n: int, days: int, prefix: str = "ord", end_users: int = 12) -> Order:
    """Each order's versions (received, the fraud check's outcome, sometimes completed) and,
    for most, its decision (its `at` is the order's created_at, as intake stamps it)."""
    versions, decisions = [], []
    for i in range(n):
        order_id, company, at = f"{prefix}_{i}", rnd.choice(COMPANIES), _at(rnd, days)
        outcome, end_user, recipient = rnd.choice(OUTCOMES), f"eu_{rnd.randrange(end_users)}", _recipient(rnd)
        versions.append(_order(order_id, company, at, "received", 1, end_user, recipient))
        versions.append(_order(order_id, company, at, outcome, 2, end_user, recipient))
        if outcome == "approved":
            versions.append(_order(order_id, company, at, "completed", 3, end_user, recipient))
        if rnd.random() < 0.9:
            score = rnd.choice(SCORES) if rnd.random() < 0.3 else round(rnd.random(), 4)
            decisions.append(row(order_id, company, at, outcome, score, rnd.sample(RULES, 1)))
    return versions, decisions


def replays(rnd: random.Random, history: Order, share: float) -> Order:
    """Some order versions again, identical (a redelivered batch); some decisions again, most
    identical, some with another outcome and score (the same key: the last one stored wins)."""
    versions, decisions = history
    again = rnd.sample(decisions, int(len(decisions) * share))
    changed = [
        d if rnd.random() < 0.6 else row(d[0], d[1], d[2], rnd.choice(OUTCOMES), round(rnd.random(), 4))
        for d in again
    ]
    return rnd.sample(versions, int(len(versions) * share)), changed


async def store(ch: ClickHouse, history: Order) -> None:
    """Orders, then decisions: each insert followed by its sink route's marks."""
    versions, decisions = history
    if versions:
        await ch.insert("orders", versions, ORDER_COLUMNS)
        (orders,) = [t for route in sink_routes(TopicNames("")) for t in route.targets if t.table == "orders"]
        assert orders.after_insert is not None
        await orders.after_insert(ch, versions)
    if decisions:
        await store_decisions(ch, decisions)
