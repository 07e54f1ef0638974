"""Stored decisions read back for rule tests and backtests, on the embedded ClickHouse."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.fraud_rows import DECISION_COLUMNS, FRAUD_REPORT_COLUMNS, decision_row
from analytics.migrate import migrate
from analytics.rule_history_repo import ClickHouseDecisionHistory
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from detectors.rules.trials import HistoryPeriod
from domain.orders import Recipient, RecipientKind
from tests.builders import T0
from tests.domain.ledger_builders import approved_order


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


H = timedelta(hours=1)


def decision(n: int, company: str = "c1", **features: float) -> dict[str, Any]:
    values = {name: 0.0 for name in FEATURE_NAMES} | {"amount": 1000.0 + n, "rcpt_is_card": 1.0} | features
    return {
        "order_id": f"ord_{n}", "company_id": company, "at": T0 + n * H, "outcome": "approved", "score": 0.1,
        "points": 0, "fired_rules": [], "shadow_rules": [], "reasons": ["no fraud signal"], "model": "",
        "top_features": [], "features": values,
    }  # fmt: skip


def order_row(n: int, company: str = "c1", card_bin: str = "412345") -> tuple[Any, ...]:
    o = approved_order()
    recipient = Recipient(RecipientKind.CARD, card_token=f"tok_{n}", card_bin=card_bin, card_last4="0002")
    return rows.order_row(replace(o, id=f"ord_{n}", company_id=company, recipient=recipient, created_at=T0 + n * H))


def report(n: int) -> tuple[Any, ...]:
    return (f"rep_{n}", "c1", f"ord_{n}", None, "u1", "confirmed", 1, T0 + n * H + H)


async def _load(ch: ClickHouse) -> None:
    migrate(ch)
    decisions = [decision(n, user_count_1h=float(n)) for n in range(10)] + [decision(20, "c2", user_count_1h=7.0)]
    await ch.insert("decisions", [decision_row(d) for d in decisions], DECISION_COLUMNS)
    await ch.insert("decisions", [decision_row(decisions[3])], DECISION_COLUMNS)  # a replayed row
    await ch.insert("orders", [order_row(n) for n in range(0, 10, 2)], rows.ORDER_COLUMNS)  # odd ones: not yet
    await ch.insert("fraud_reports", [report(4), report(5), report(99)], FRAUD_REPORT_COLUMNS)


async def test_pages_the_period_once_per_order_with_the_features_asked(clickhouse: ClickHouse) -> None:
    await _load(clickhouse)
    history = ClickHouseDecisionHistory(clickhouse)
    period = HistoryPeriod(T0, T0 + 10 * H, "c1")
    assert await history.count(period) == 10
    names = frozenset({"user_count_1h", "card_bin", "amount_major"})
    seen: list[str] = []
    after = None
    while True:
        chunk = await history.page(period, names, after, 4)
        if not len(chunk):
            break
        seen += chunk.order_ids
        after = (chunk.at[-1], chunk.order_ids[-1])
        for i, order_id in enumerate(chunk.order_ids):
            n = int(order_id.removeprefix("ord_"))
            assert chunk.matrix[i, FEATURE_INDEX["user_count_1h"]] == n
            assert chunk.matrix[i, FEATURE_INDEX["user_sum_1h"]] == 0  # not asked: not read
            a = chunk.attributes[i]
            assert a.company_id == "c1" and a.recipient_kind == "card"
            # The order row when it arrived (its amount and BIN), else the feature row's amount.
            assert (a.card_bin, a.currency) == (("412345", "EUR") if n % 2 == 0 else ("", ""))
            assert a.amount == (approved_order().amount.value if n % 2 == 0 else 1000 + n)
    assert seen == [f"ord_{n}" for n in range(10)]  # oldest first, the replayed row once

    everyone = HistoryPeriod(T0, T0 + 30 * H)
    assert await history.count(everyone) == 11
    assert await history.confirmed_frauds(everyone) == frozenset({"ord_4", "ord_5"})  # ord_99: no decision
    assert await history.confirmed_frauds(HistoryPeriod(T0, T0 + 5 * H)) == frozenset({"ord_4"})
    assert await history.count(HistoryPeriod(T0, T0 + 30 * H, "c2")) == 1


async def test_reads_the_decisions_of_given_orders_and_binds_hostile_ids(clickhouse: ClickHouse) -> None:
    await _load(clickhouse)
    history = ClickHouseDecisionHistory(clickhouse)
    chunk = await history.for_orders(["ord_20", "ord_3", "nope", "' OR 1=1 --"], frozenset({"user_count_1h"}))
    assert chunk.order_ids == ("ord_3", "ord_20")
    assert [chunk.matrix[i, FEATURE_INDEX["user_count_1h"]] for i in range(2)] == [3.0, 7.0]
    assert len(await history.for_orders([], frozenset())) == 0
    hostile = HistoryPeriod(T0, T0 + 30 * H, "c1' OR '1'='1")
    assert await history.count(hostile) == 0
    assert len(await history.page(hostile, frozenset(), None, 10)) == 0
