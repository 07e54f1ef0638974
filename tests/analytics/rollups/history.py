"""Histories for rollup tests, stored the way the sink stores them: rows inserted, then their
days marked dirty (the sink's after-insert hook), into a migrated test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.rollups.definitions import LEDGER, ORDERS
from analytics.rollups.marks import MarkDays
from tests.analytics.reports.rows import LEDGER_COLUMNS, ORDER_COLUMNS, order

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)  # the first day of the history (a Sunday, no matter)
H = timedelta(hours=1)
D = timedelta(days=1)
DAYS = 10


async def store(ch: ClickHouse, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert, then mark: the sink's order."""
    columns = ORDER_COLUMNS if table == "orders" else LEDGER_COLUMNS
    tuples = [tuple(r[c] for c in columns) for r in rows]
    await ch.insert(table, tuples, columns)
    await MarkDays(ORDERS if table == "orders" else LEDGER, columns)(ch, tuples)


def orders_history() -> list[dict[str, Any]]:
    """Every order's versions (received → approved → completed/failed; provider set once
    dispatched), over DAYS days, two companies, two currencies, sandbox and not, some orders
    near midnight. Latest versions last."""
    rows = []
    products = (("card-transfer-eur", "card_transfer", "bank_a"), ("card-transfer-eur", "card_transfer", "bank_b"),
                ("topup-de", "mobile_topup", "topups"), ("zalando-25", "gift_certificate", "gifts"))  # fmt: skip
    for n in range(240):
        product_id, product_type, provider = products[n % 4]
        created = DAY0 + (n % DAYS) * D + (n * 37 % 24) * H + timedelta(milliseconds=n)
        if n % 11 == 0:
            created = DAY0 + (n % DAYS + 1) * D - timedelta(milliseconds=1)  # the day's last millisecond
        base = order(
            n, company_id=("cmp_a", "cmp_b", "cmp_a")[n % 3], currency="USD" if n % 7 == 0 else "EUR",
            product_id=product_id, product_type=product_type, amount_value=100 + 13 * n, fee_value=n % 5,
            sandbox=int(n % 5 == 0), created_at=created, end_user_id=f"user-{n % 4}", card_last4=f"{n % 3:04d}",
        )  # fmt: skip
        final = "failed" if n % 6 == 0 else ("declined" if n % 13 == 0 else "completed")
        versions = [("received", 1, ""), ("approved", 2, "")]
        if final != "declined":
            versions.append(("dispatched", 3, provider))
        versions.append((final, len(versions) + 1, provider if final != "declined" else ""))
        for status, version, prov in versions:
            rows.append({**base, "status": status, "version": version, "provider": prov,
                         "updated_at": created + version * timedelta(seconds=1)})  # fmt: skip
    return rows


def entries_history(company: str = "cmp_a", currency: str = "EUR") -> list[dict[str, Any]]:
    """Ledger rows over DAYS days: a top-up each morning, orders reserved then captured with a
    fee or released, some at midnight exactly, two entries sharing a millisecond."""
    rows: list[dict[str, Any]] = []

    def entry(ref: str, kind: str, amount: int, source: str, target: str, at: datetime) -> None:
        rows.append({
            "entry_id": f"{ref}:{kind}", "company_id": company, "currency": currency, "kind": kind,
            "amount": amount, "source": source, "target": target, "at": at, "order_id": ref,
            "available_after": 0, "reserved_after": 0,  # statements' movements do not read these
        })  # fmt: skip

    for day in range(DAYS):
        start = DAY0 + day * D
        entry(f"t{day}", "top_up", 50_000, "funding", "available", start)  # at midnight exactly
        for k in range(6):
            ref, at, amount = f"o{day}-{k}", start + (2 + 3 * k) * H, 1_000 + 10 * day + k
            entry(ref, "reserve", amount + 5, "available", "reserved", at)
            if k % 3 == 2:
                entry(ref, "release", amount + 5, "reserved", "available", at + H)
            else:
                entry(ref, "capture", amount, "reserved", "payouts", at + H)
                entry(ref, "fee", 5, "reserved", "fees", at + H)  # the capture's millisecond
    rows.append({**rows[-1], "entry_id": "a1:adjustment", "kind": "adjustment", "amount": 77,
                 "source": "adjustments", "target": "available", "at": DAY0 + DAYS * D - timedelta(milliseconds=1)})  # fmt: skip
    return rows
