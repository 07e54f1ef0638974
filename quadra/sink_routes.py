"""Which topic lands in which ClickHouse table: the sink's routes, wired by `quadra up` and `quadra sink`."""

from __future__ import annotations

from dataclasses import replace

from analytics import rows
from analytics.ledger_json_rows import LEDGER_ENTRY_FROM_JSON
from analytics.ledger_rows import LEDGER_ENTRY_COLUMNS, ledger_entry_row
from analytics.order_json_rows import ORDER_EVENT_FROM_JSON
from analytics.batch_rows import BATCH_COLUMNS, REJECTED_LINE_COLUMNS, batch_row, rejected_line_row
from analytics.rollups.definitions import LEDGER, ORDERS
from analytics.rollups.marks import MarkDays, json_days
from quadra.fraud_roles import fraud_sink_routes
from quadra.notify_roles import webhook_sink_route
from streams import messages
from streams.audit_messages import decode_audit_record
from streams.batch_messages import decode_batch_header, decode_rejected_line
from streams.ledger_messages import decode_entry
from streams.sink import SinkRoute, TableTarget
from streams.topics import AUDIT_LOG, BATCH_LINES, BATCHES, LEDGER_ENTRIES, ORDERS_EVENTS, REQUESTS_LOG, TopicNames


# Topics the sink writes on a slower cadence (quadra.settings sink_log_flush_interval_s): one row
# per HTTP exchange, read only by the request-log search, where a row a second later is fine.
LOG_TOPICS = (REQUESTS_LOG,)


def split_log_routes(routes: list[SinkRoute], names: TopicNames) -> tuple[list[SinkRoute], list[SinkRoute]]:
    """(every other route, the routes of LOG_TOPICS)."""
    logs = {names(t) for t in LOG_TOPICS}
    return [r for r in routes if r.topic not in logs], [r for r in routes if r.topic in logs]


def sink_routes(names: TopicNames) -> list[SinkRoute]:
    # orders and ledger_entries mark the days they touch: the daily rollups' dirty days.
    return [
        SinkRoute(
            names(ORDERS_EVENTS),
            messages.decode_order_event,
            (
                TableTarget("order_events", rows.ORDER_EVENT_COLUMNS, rows.order_event_row),
                TableTarget(
                    "orders", rows.ORDER_COLUMNS, lambda e: rows.order_row(e.order),
                    MarkDays(ORDERS, rows.ORDER_COLUMNS),
                ),  # fmt: skip
            ),
            # ClickHouse computes both rows, snapshot included, and the days of the orders
            from_json=replace(ORDER_EVENT_FROM_JSON, days=(json_days(ORDERS, "orders"),)),
        ),
        SinkRoute(
            names(REQUESTS_LOG),
            messages.decode_request_log,
            (TableTarget("request_log", rows.REQUEST_LOG_COLUMNS, rows.request_log_row),),
            json=True,  # encode_request_log writes the row's columns: ClickHouse reads it as is
        ),
        SinkRoute(
            names(AUDIT_LOG),
            decode_audit_record,
            (TableTarget("audit_log", rows.AUDIT_LOG_COLUMNS, rows.audit_log_row),),
        ),
        SinkRoute(
            names(LEDGER_ENTRIES),
            decode_entry,
            (
                TableTarget(
                    "ledger_entries", LEDGER_ENTRY_COLUMNS, ledger_entry_row,
                    MarkDays(LEDGER, LEDGER_ENTRY_COLUMNS),
                ),  # fmt: skip
            ),
            from_json=replace(LEDGER_ENTRY_FROM_JSON, days=(json_days(LEDGER, "ledger_entries"),)),
        ),
        webhook_sink_route(names),
        *fraud_sink_routes(names),
        *batch_sink_routes(names),
    ]


def batch_sink_routes(names: TopicNames) -> list[SinkRoute]:
    return [
        SinkRoute(names(BATCHES), decode_batch_header, (TableTarget("batches", BATCH_COLUMNS, batch_row),)),
        SinkRoute(
            names(BATCH_LINES), decode_rejected_line,
            (TableTarget("batch_rejected_lines", REJECTED_LINE_COLUMNS, rejected_line_row),),
        ),  # fmt: skip
    ]
