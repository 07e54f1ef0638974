"""The order the detail pages are asked about. reports_bench's order ids are not the API's
shape (`ord_` + 32 hex whose first 12 are the creation time in ms, which the request viewer
reads), so one held order of the largest company is copied, with every row that points at it,
under an id of the real shape: the pages then look it up among 10 million others."""

from __future__ import annotations

import os
from typing import Any

from analytics.clickhouse import ClickHouse
from bench.reports.generate import DATABASE

T = DATABASE + "."


def _copies(old: str, new: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(table, SELECT that yields the copied rows, parameters)."""
    p = {"old": old, "new": new, "old_req": old[4:], "new_req": new[4:]}
    return [
        ("orders", f"SELECT * REPLACE ({{new:String}} AS order_id, replaceAll(snapshot, {{old:String}}, {{new:String}}) AS snapshot) "
                   f"FROM (SELECT * FROM {T}orders WHERE order_id = {{old:String}})", p),
        ("order_events", f"SELECT * REPLACE ({{new:String}} AS order_id, concat(event_id, '~p') AS event_id) "
                         f"FROM (SELECT * FROM {T}order_events WHERE order_id = {{old:String}})", p),
        ("decisions", f"SELECT * REPLACE ({{new:String}} AS order_id) "
                      f"FROM (SELECT * FROM {T}decisions WHERE order_id = {{old:String}})", p),
        ("ledger_entries", f"SELECT * REPLACE ({{new:String}} AS order_id, concat(entry_id, '~p') AS entry_id) "
                           f"FROM (SELECT * FROM {T}ledger_entries WHERE order_id = {{old:String}})", p),
        ("request_log", f"SELECT * REPLACE (replaceAll(request_id, {{old_req:String}}, {{new_req:String}}) AS request_id, "
                        f"{{new:String}} AS correlation_id, replaceAll(response_body, {{old:String}}, {{new:String}}) AS response_body) "
                        f"FROM (SELECT * FROM {T}request_log WHERE correlation_id = {{old:String}})", p),
        ("webhook_attempts", f"SELECT * REPLACE (concat(message_id, 'p') AS message_id, "
                             f"replaceAll(attempt_id, message_id, concat(message_id, 'p')) AS attempt_id) FROM (SELECT * FROM {T}webhook_attempts "
                             f"WHERE message_id IN (SELECT message_id FROM {T}webhook_deliveries WHERE lane = {{old:String}}))", p),
        ("webhook_deliveries", f"SELECT * REPLACE (concat(message_id, 'p') AS message_id, {{new:String}} AS lane, "
                               f"replaceAll(body, {{old:String}}, {{new:String}}) AS body) "
                               f"FROM (SELECT * FROM {T}webhook_deliveries WHERE lane = {{old:String}})", p),
        ("fraud_case_events", f"SELECT * REPLACE ({{new:String}} AS order_id, replaceAll(case_id, {{old:String}}, {{new:String}}) AS case_id, "
                              f"replaceAll(event_id, {{old:String}}, {{new:String}}) AS event_id) "
                              f"FROM (SELECT * FROM {T}fraud_case_events WHERE order_id = {{old:String}})", p),
    ]  # fmt: skip


def sample_ids(ch: ClickHouse) -> dict[str, str]:
    """The largest and the median company, and the planted held order of the largest with its
    partner request and case. Planting twice is harmless (the copies replace themselves). The source rows are read in a subquery:
    a `REPLACE`d column's alias would otherwise shadow the column in WHERE."""
    by_size = ch.query_sync(f"SELECT company_id, count() c FROM {T}orders GROUP BY company_id ORDER BY c DESC")
    big, median = by_size[0][0], by_size[len(by_size) // 2][0]
    old, created, last4 = ch.query_sync(
        f"SELECT order_id, toUnixTimestamp64Milli(created_at), card_last4 FROM {T}orders FINAL "
        "WHERE company_id = {c:String} AND status = 'in_review' AND card_last4 != '' AND snapshot LIKE '%history%' "
        "AND length(order_id) != 36 ORDER BY created_at DESC LIMIT 1", {"c": big},
    )[0]  # fmt: skip
    new = f"ord_{int(created):012x}{os.urandom(10).hex()}"
    for table, select, params in _copies(old, new):
        ch.command_sync(f"INSERT INTO {T}{table} {select}", params)
    return {"largest_company": big, "median_company": median, "order_id": new, "card_last4": last4,
            "request_id": new.removeprefix("ord_"), "case_id": f"case_{new}"}  # fmt: skip
