"""What the back office reads beyond reports_bench's orders: generated server-side from the
same order numbers (bench.reports.generate.order_base), so every row agrees with its order.
Idempotent: a table already holding rows is left alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC

import orjson

from analytics.clickhouse import ClickHouse
from bench.reports.generate import DATABASE, Shape, _u, order_base
from bench.risk_dashboard_data import generate_fraud
from streams.messages import order_from_dict

AUDIT_EVENTS = 200_000


def insert_requests(shape: Shape, first: int, count: int) -> str:
    """The partner's POST /v1/orders (its request id is the order id without `ord_`) and the
    provider call dispatch made for it (correlated by the order id)."""
    body = ("concat('{\"product_id\":\"', product_id, '\",\"amount\":{\"value\":', toString(amount_value), "
            "',\"currency\":\"', currency, '\"},\"end_user\":{\"id\":\"', end_user_id, '\"}}')")  # fmt: skip
    return f"""
INSERT INTO {DATABASE}.request_log
    (request_id, direction, at, company_id, method, path, query, status, duration_ms, client_ip,
     correlation_id, idempotency_key, request_headers, request_body, response_body, error_type)
SELECT if(d = 'inbound', substring(order_id, 5), concat('out_', substring(order_id, 5))), d,
    fromUnixTimestamp64Milli(toInt64(if(d = 'inbound', created_ms, created_ms + 30)), 'UTC'), company_id,
    'POST', if(d = 'inbound', '/v1/orders', concat('/', provider, '/payouts')), '',
    toUInt16(if(d = 'inbound', 201, if({_u(40)} < 0.97, 200, 502))), toUInt32(5 + cityHash64(n, 41) % 400),
    if(d = 'inbound', '203.0.113.7', ''), order_id, if(d = 'inbound', idempotency_key, ''),
    if(d = 'inbound', '{{"content-type":"application/json","authorization":"[REDACTED]"}}', ''),
    {body}, concat('{{"id":"', order_id, '","status":"received"}}'), ''
FROM ({order_base(shape, first, count)})
ARRAY JOIN if(product_type = 'card_transfer' AND final_status IN ('completed', 'failed', 'dispatched'),
              ['inbound', 'outbound'], ['inbound']) AS d
"""


def insert_webhooks(shape: Shape, first: int, count: int) -> tuple[str, str]:
    """One `order.<status>` message per order to the partner, delivered on the first try."""
    base = f"""
SELECT concat('msg_', lower(hex(cityHash64(n, 42)))) AS message_id, company_id, order_id,
    concat('order.', final_status) AS event_type,
    fromUnixTimestamp64Milli(toInt64(created_ms + 1000), 'UTC') AS occurred,
    fromUnixTimestamp64Milli(toInt64(created_ms + 1200), 'UTC') AS sent,
    concat('{{"type":"order.', final_status, '","data":{{"id":"', order_id, '"}}}}') AS body
FROM ({order_base(shape, first, count)})"""
    deliveries = f"""
INSERT INTO {DATABASE}.webhook_deliveries
    (message_id, company_id, event_type, lane, position, occurred_at, status, attempts, round, enqueued_at,
     last_attempt_at, last_response_status, last_error, next_attempt_at, url, body, updated_at)
SELECT message_id, company_id, event_type, order_id, 1, occurred, 'delivered', 1, 'r1', occurred,
    sent, 200, '', NULL, 'https://partner.example/hooks', body, sent
FROM ({base})"""
    attempts = f"""
INSERT INTO {DATABASE}.webhook_attempts
    (attempt_id, message_id, company_id, event_type, round, attempt, status, at, url, response_status,
     duration_ms, error, next_attempt_at, occurred_at)
SELECT concat(message_id, ':r1:1'), message_id, company_id, event_type, 'r1', 1, 'delivered', sent,
    'https://partner.example/hooks', 200, 120, '', NULL, occurred
FROM ({base})"""
    return deliveries, attempts


def insert_audit(shape: Shape) -> str:
    return f"""
INSERT INTO {DATABASE}.audit_log
    (chain, seq, hash, prev_hash, event_id, at, actor_kind, actor_id, company_id, action, target,
     request_id, ip, details)
SELECT 0, number + 1, lower(hex(cityHash64(number, 50))), lower(hex(cityHash64(number - 1, 50))),
    concat('req', toString(number), ':', action),
    fromUnixTimestamp64Micro(toInt64(({shape.start_ms} + intDiv(number * {shape.span_ms}, {AUDIT_EVENTS})) * 1000), 'UTC'),
    if(number % 10 = 0, 'staff', 'api_key'), if(number % 10 = 0, 'stf_bench', concat('qk_live_', toString(number % 500))),
    concat('cmp_', lower(hex(cityHash64(toUInt32(number % 200), 77)))),
    if(number % 10 = 0, ['balance.top_up', 'company.update', 'api_key.create'][1 + number % 3], 'api_key.use') AS action,
    concat('cmp_', lower(hex(cityHash64(toUInt32(number % 200), 77)))), concat('req', toString(number)),
    '203.0.113.7', '{{}}'
FROM numbers({AUDIT_EVENTS})"""


def complete_held_snapshots(ch: ClickHouse) -> int:
    """reports_bench writes a short `snapshot`; the case page rebuilds a held order from it, so
    held orders get a newer version whose snapshot is a whole order (as the sink writes it),
    checked by the same decoder the page uses."""
    columns = ("order_id, company_id, idempotency_key, product_id, product_type, provider, amount_value, "
               "fee_value, currency, status, status_reason, recipient_kind, card_bin, card_last4, card_token, "
               "end_user_id, external_id, sandbox, created_at, updated_at, version")  # fmt: skip
    rows = ch.query_sync(f"SELECT {columns} FROM {DATABASE}.orders FINAL WHERE status = 'in_review' "
                         "AND snapshot NOT LIKE '%\"history\"%'")  # fmt: skip
    out = []
    for (oid, cid, key, pid, ptype, provider, value, fee, cur, status, reason, kind, bin_, last4, token,
         user, ext, sandbox, created, updated, version) in rows:  # fmt: skip
        created, updated = created.replace(tzinfo=UTC), updated.replace(tzinfo=UTC)
        recipient = {"kind": kind, "card_token": token or None, "card_bin": bin_ or None,
                     "card_last4": last4 or None, "phone": "+4915112345678" if kind == "phone" else None,
                     "email": f"{user}@example.com" if kind == "email" else None}  # fmt: skip
        snapshot = {
            "id": oid, "company_id": cid, "idempotency_key": key, "product_id": pid,
            "amount": {"value": int(value), "currency": cur}, "recipient": recipient, "end_user": {"id": user},
            "created_at": created.isoformat(), "external_id": ext or None, "metadata": {}, "sandbox": bool(sandbox),
            "history": [{"status": "received", "reason": "", "at": created.isoformat()},
                        {"status": status, "reason": reason, "at": updated.isoformat()}],
            "fee": int(fee), "delivery": None, "product_type": ptype, "provider": provider,
        }  # fmt: skip
        order_from_dict(snapshot)  # what the page will do with it
        out.append((oid, cid, key, pid, ptype, provider, value, fee, cur, status, reason, kind, bin_, last4,
                    token, user, ext, sandbox, created, updated, version + 1, orjson.dumps(snapshot).decode()))
    if out:
        ch.insert_sync("orders", out, [c.strip() for c in columns.split(",")] + ["snapshot"])
    return len(out)


def fill(ch: ClickHouse, shape: Shape, chunk: int, log: Callable[[str], None]) -> None:
    generate_fraud(ch, shape, chunk, log)
    chunks = [(s, min(chunk, shape.orders - s)) for s in range(0, shape.orders, chunk)]
    steps: list[tuple[str, Callable[[int, int], list[str]]]] = [
        ("request_log", lambda f, n: [insert_requests(shape, f, n)]),
        ("webhook_deliveries", lambda f, n: list(insert_webhooks(shape, f, n))),
    ]
    for table, make in steps:
        if ch.query_sync(f"SELECT count() FROM {DATABASE}.{table}")[0][0]:
            continue
        t0 = time.perf_counter()
        for first, n in chunks:
            for sql in make(first, n):
                ch.command_sync(sql)
        rows = ch.query_sync(f"SELECT count() FROM {DATABASE}.{table}")[0][0]
        log(f"{table}: {rows:,} rows in {time.perf_counter() - t0:.1f} s")
    completed = complete_held_snapshots(ch)
    if completed:
        log(f"orders: {completed:,} held orders given a whole snapshot")
    if not ch.query_sync(f"SELECT count() FROM {DATABASE}.audit_log")[0][0]:
        ch.command_sync(insert_audit(shape))
        log(f"audit_log: {AUDIT_EVENTS:,} rows")
