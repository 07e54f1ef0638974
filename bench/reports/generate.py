"""Data generation for reports_bench: orders (with older duplicate versions), their events and
ledger entries with running balances, all `INSERT … SELECT … FROM numbers(…)` server-side."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.clickhouse import ClickHouse

DATABASE = "quadra"

# ---------------------------------------------------------------------------------------------
# Generation: every column of an order is a pure function of its number n, so the orders,
# events and ledger INSERTs compute the very same order from the same SQL.


@dataclass(frozen=True, slots=True)
class Shape:
    orders: int
    days: int
    companies: int
    users: int
    dup_fraction: float
    end: datetime  # orders are created in [end - days, end)
    # Order n's creation time grows with n, so each generating INSERT (a chunk of consecutive
    # orders) is a slice of time, as traffic arrives: its parts cover that slice only. False:
    # every chunk spreads over the whole period (each part spans every day, so a read of any
    # time range opens every part of its partitions; the layout of the runs before 28 Nov 2026).
    time_ordered: bool = True

    @property
    def start_ms(self) -> int:
        return int((self.end - timedelta(days=self.days)).timestamp() * 1000)

    @property
    def span_ms(self) -> int:
        return self.days * 86_400_000


def _u(k: int, of: str = "n") -> str:
    """A uniform number in (0, 1), fixed for (of, k)."""
    return f"(((cityHash64({of}, {k}) % 1000000) + 0.5) / 1000000)"


def _created_u(shape: Shape) -> str:
    """Uniform in (0, 1) either way; time-ordered, increasing with n (sqrt of it: traffic grows)."""
    return f"((n + {_u(3)}) / {shape.orders})" if shape.time_ordered else _u(3)


def order_base(shape: Shape, first: int, count: int) -> str:
    """A subquery with one row per order n in [first, first + count) and every derived field."""
    return f"""
SELECT
    number AS n,
    toUInt64(floor({shape.users} * pow({_u(1)}, 1.6))) AS user_num,
    toUInt32(floor({shape.companies} * pow({_u(2, "user_num")}, 3))) AS company_idx,
    concat('cmp_', lower(hex(cityHash64(company_idx, 77)))) AS company_id,
    {shape.start_ms} + toUInt64(floor(sqrt({_created_u(shape)}) * {shape.span_ms})) AS created_ms,
    multiIf({_u(4)} < 0.5, 'card_transfer', {_u(4)} < 0.75, 'mobile_topup',
            {_u(4)} < 0.9, 'gift_certificate', 'virtual_card') AS product_type,
    multiIf(product_type = 'card_transfer', if({_u(5)} < 0.6, 'bank-a', 'bank-b'),
            product_type = 'mobile_topup', 'topup',
            product_type = 'gift_certificate', 'gifts', 'cards') AS provider,
    multiIf(company_idx % 9 = 4, 'USD', company_idx % 13 = 6, 'GBP',
            company_idx < 5 AND {_u(6)} < 0.15, 'USD', 'EUR') AS currency,
    concat('prd_', product_type, '_', lower(currency)) AS product_id,
    sqrt(-2 * log({_u(7)})) * cos(2 * pi() * {_u(8)}) AS z,
    toInt64(multiIf(
        product_type = 'card_transfer', least(greatest(round(exp(8.5 + 1.2 * z)), 100), 20000000),
        product_type = 'mobile_topup', [500, 1000, 1500, 2000, 5000][1 + cityHash64(n, 9) % 5],
        product_type = 'gift_certificate', [1000, 2500, 5000, 10000, 20000][1 + cityHash64(n, 9) % 5],
        least(greatest(round(exp(9.5 + 0.8 * z) / 100) * 100, 1000), 1000000))) AS amount_value,
    toInt64(multiIf(
        product_type = 'card_transfer', round(amount_value * 0.012) + 30,
        product_type = 'mobile_topup', 25,
        product_type = 'gift_certificate', round(amount_value * 0.02),
        150 + round(amount_value * 0.01))) AS fee_value,
    multiIf({_u(10)} < 0.885, 'completed', {_u(10)} < 0.925, 'failed', {_u(10)} < 0.955, 'rejected',
            {_u(10)} < 0.99, 'declined', {_u(10)} < 0.995, 'in_review', 'dispatched') AS final_status,
    multiIf(
        final_status IN ('completed', 'failed'),
            ['received', 'approved', 'reserved', 'dispatched', final_status],
        final_status = 'rejected', ['received', 'approved', 'rejected'],
        final_status = 'dispatched', ['received', 'approved', 'reserved', 'dispatched'],
        ['received', final_status]) AS statuses,
    multiIf(
        final_status = 'completed',
            ['created', 'risk_ok', 'funds_reserved', 'sent_to_provider', 'provider_paid'],
        final_status = 'failed',
            ['created', 'risk_ok', 'funds_reserved', 'sent_to_provider', 'provider_error'],
        final_status = 'rejected', ['created', 'risk_ok', 'insufficient_funds'],
        final_status = 'dispatched', ['created', 'risk_ok', 'funds_reserved', 'sent_to_provider'],
        final_status = 'declined', ['created', 'fraud_score_high'],
        ['created', 'manual_review']) AS reasons,
    created_ms + 20 + cityHash64(n, 11) % 300 AS t2,
    t2 + 5 + cityHash64(n, 12) % 20 AS t3,
    t3 + 30 + cityHash64(n, 13) % 200 AS t4,
    t4 + 300 + toUInt64(pow({_u(14)}, 4) * 600000) AS t5,
    arraySlice([created_ms, t2, t3, t4, t5], 1, length(statuses)) AS times,
    multiIf(product_type = 'card_transfer', 'card', product_type = 'mobile_topup', 'phone',
            'email') AS recipient_kind,
    recipient_kind = 'card' AS is_card,
    if(is_card, toString(400000 + cityHash64(user_num, 3) % 200000), '') AS card_bin,
    if(is_card, leftPad(toString(cityHash64(user_num, 4) % 10000), 4, '0'), '') AS card_last4,
    if(is_card, concat('tok_', lower(hex(cityHash64(user_num, 5)))), '') AS card_token,
    concat('eu_', toString(user_num)) AS end_user_id,
    if({_u(15)} < 0.8, concat('PO-', toString(1000000 + n)), '') AS external_id,
    lower(hex(cityHash64(n, 16))) AS idempotency_key,
    concat('ord_', lower(hex(cityHash64(n, 17))), lower(hex(n))) AS order_id,
    toUInt8(company_idx % 50 = 7) AS sandbox,
    {_u(18)} < {shape.dup_fraction} AND length(statuses) = 5 AS has_older
FROM numbers({first}, {count})
"""


def _ms(expr: str) -> str:
    return f"fromUnixTimestamp64Milli(toInt64({expr}), 'UTC')"


ORDER_COLUMNS = (
    "order_id, company_id, idempotency_key, product_id, product_type, provider, amount_value, "
    "fee_value, currency, status, status_reason, recipient_kind, card_bin, card_last4, card_token, "
    "end_user_id, external_id, sandbox, created_at, updated_at, version, snapshot"
)


def insert_orders(shape: Shape, first: int, count: int, older: bool) -> str:
    """Latest versions, or (older=True) the version before the last of some orders: a stale row
    the sink wrote earlier, which only FINAL (or a merge) hides."""
    i = "(length(statuses) - 1)" if older else "length(statuses)"
    snapshot = (
        "concat('{\"id\":\"', order_id, '\",\"company_id\":\"', company_id, '\",\"amount\":"
        "{\"value\":', toString(amount_value), ',\"currency\":\"', currency, '\"},\"status\":\"', "
        f"statuses[{i}], '\",\"version\":', toString({i}), '}}')"
    )
    return f"""
INSERT INTO {DATABASE}.orders ({ORDER_COLUMNS})
SELECT order_id, company_id, idempotency_key, product_id, product_type, provider, amount_value,
    fee_value, currency, statuses[{i}], reasons[{i}], recipient_kind, card_bin, card_last4,
    card_token, end_user_id, external_id, sandbox, {_ms("created_ms")}, {_ms(f"times[{i}]")},
    toUInt32({i}), {snapshot}
FROM ({order_base(shape, first, count)}) {"WHERE has_older" if older else ""}
"""


def insert_events(shape: Shape, first: int, count: int) -> str:
    return f"""
INSERT INTO {DATABASE}.order_events
    (event_id, order_id, company_id, sequence, status, reason, at, amount_value, currency)
SELECT concat(order_id, ':', toString(seq)), order_id, company_id, toUInt32(seq), statuses[seq],
    reasons[seq], {_ms("times[seq]")}, amount_value, currency
FROM ({order_base(shape, first, count)}) ARRAY JOIN arrayEnumerate(statuses) AS seq
"""


LEDGER_GEN = f"{DATABASE}.bench_ledger_gen"


def create_ledger_gen() -> str:
    return f"""
CREATE TABLE {LEDGER_GEN}
(
    entry_id String, company_id String, currency LowCardinality(String),
    kind LowCardinality(String), amount Int64, source LowCardinality(String),
    target LowCardinality(String), at DateTime64(3, 'UTC'), order_id String, command_id String,
    reason String, actor String, d_available Int64, d_reserved Int64
)
ENGINE = MergeTree ORDER BY (company_id, currency, at, entry_id)
"""


def insert_order_entries(shape: Shape, first: int, count: int) -> str:
    """reserve (amount + fee); then capture + fee, or release; nothing for orders never reserved."""
    return f"""
INSERT INTO {LEDGER_GEN}
SELECT concat(order_id, ':', kind), company_id, currency, kind, amt,
    multiIf(kind = 'reserve', 'available', 'reserved'),
    multiIf(kind = 'reserve', 'reserved', kind = 'capture', 'payouts', kind = 'fee', 'fees',
            'available'),
    {_ms("t")}, order_id, '', '', '',
    multiIf(kind = 'reserve', -amt, kind = 'release', amt, 0),
    multiIf(kind = 'reserve', amt, -amt)
FROM (
    SELECT *,
        multiIf(final_status = 'completed', ['reserve', 'capture', 'fee'],
                final_status = 'failed', ['reserve', 'release'],
                final_status = 'dispatched', ['reserve'], []) AS kinds,
        [t3, t5, t5] AS ktimes,
        multiIf(final_status = 'completed', [amount_value + fee_value, amount_value, fee_value],
                [amount_value + fee_value, amount_value + fee_value, 0]) AS amounts
    FROM ({order_base(shape, first, count)})
) ARRAY JOIN kinds AS kind, arraySlice(ktimes, 1, length(kinds)) AS t,
    arraySlice(amounts, 1, length(kinds)) AS amt
"""


def insert_top_ups() -> str:
    """Prefunding at 00:00 UTC each day: that day's reservations rounded up, plus a buffer, so
    available never goes below zero."""
    return f"""
INSERT INTO {LEDGER_GEN}
SELECT concat(company_id, ':topup-', toString(day)), company_id, currency, 'top_up', topup,
    'funding', 'available', toDateTime64(day, 3, 'UTC'), '', concat('topup-', toString(day)),
    'daily prefunding', 'staff:bench', topup, 0
FROM (
    SELECT company_id, currency, toDate(at) AS day, (intDiv(sum(amount), 100000) + 2) * 100000 AS topup
    FROM {LEDGER_GEN} WHERE kind = 'reserve' GROUP BY company_id, currency, day
)
"""


def insert_ledger(company_ids: list[str]) -> str:
    quoted = ", ".join(f"'{c}'" for c in company_ids)  # our own generated ids, never input
    return f"""
INSERT INTO {DATABASE}.ledger_entries
    (entry_id, company_id, currency, kind, amount, source, target, at, order_id, command_id,
     reason, actor, available_after, reserved_after)
SELECT entry_id, company_id, currency, kind, amount, source, target, at, order_id, command_id,
    reason, actor, sum(d_available) OVER w, sum(d_reserved) OVER w
FROM {LEDGER_GEN} WHERE company_id IN ({quoted})
WINDOW w AS (PARTITION BY company_id, currency ORDER BY at, entry_id
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
"""


@dataclass
class Step:
    name: str
    rows: int = 0
    seconds: float = 0.0


def table_rows(ch: ClickHouse, table: str) -> int:
    return int(ch.query_sync(f"SELECT count() FROM {table}")[0][0])


def generate(ch: ClickHouse, shape: Shape, chunk: int, log: Callable[[str], None]) -> list[Step]:
    steps: list[Step] = []

    def timed(name: str, table: str, statements: list[str]) -> None:
        before = table_rows(ch, table)
        t0 = time.perf_counter()
        for k, sql in enumerate(statements):
            ch.command_sync(sql)
            if len(statements) > 3:
                log(f"  {name}: {k + 1}/{len(statements)} in {time.perf_counter() - t0:.1f} s")
        step = Step(name, table_rows(ch, table) - before, time.perf_counter() - t0)
        steps.append(step)
        log(f"{name}: {step.rows:,} rows (net of concurrent merges) in {step.seconds:.1f} s "
            f"({step.rows / step.seconds:,.0f} rows/s)")

    chunks = [(s, min(chunk, shape.orders - s)) for s in range(0, shape.orders, chunk)]
    ev_chunk = max(1, chunk // 2)  # ~5 events per order
    ev_chunks = [(s, min(ev_chunk, shape.orders - s)) for s in range(0, shape.orders, ev_chunk)]
    orders = f"{DATABASE}.orders"
    timed("orders (older versions)", orders, [insert_orders(shape, s, c, True) for s, c in chunks])
    timed("orders (latest versions)", orders, [insert_orders(shape, s, c, False) for s, c in chunks])
    timed("order_events", f"{DATABASE}.order_events", [insert_events(shape, s, c) for s, c in ev_chunks])
    ch.command_sync(f"DROP TABLE IF EXISTS {LEDGER_GEN}")
    ch.command_sync(create_ledger_gen())
    timed("ledger: order entries (no balances)", LEDGER_GEN,
          [insert_order_entries(shape, s, c) for s, c in ev_chunks])  # fmt: skip
    timed("ledger: daily top-ups", LEDGER_GEN, [insert_top_ups()])
    # Running balances per company and currency, a few companies per window pass.
    sizes = ch.query_sync(
        f"SELECT company_id, count() AS c FROM {LEDGER_GEN} GROUP BY company_id ORDER BY c DESC"
    )
    groups: list[list[str]] = [[]]
    room = max(chunk * 2, int(sizes[0][1]) if sizes else 0)
    filled = 0
    for company_id, c in sizes:
        if groups[-1] and filled + int(c) > room:
            groups.append([])
            filled = 0
        groups[-1].append(company_id)
        filled += int(c)
    timed("ledger_entries (window balances)", f"{DATABASE}.ledger_entries",
          [insert_ledger(g) for g in groups])  # fmt: skip
    ch.command_sync(f"DROP TABLE {LEDGER_GEN}")
    return steps
