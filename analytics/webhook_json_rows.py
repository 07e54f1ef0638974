"""Delivery-log rows computed by ClickHouse from `webhooks.attempts` messages: the SQL twins of
`decode_attempt` + webhook_attempt_row / webhook_delivery_row / webhook_request_row
(analytics/json_rows.py says how the twins stay equal).

ClickHouse reads the nested message strictly (a missing field, a number for a string, a null
for a value fails the insert), so it reads what the decoder reads; the check adds what the
decoder refuses (unknown enum values, timestamps, invalid UTF-8, a URL whose port `urlsplit`
refuses) and URLs whose bare form the SQL does not derive as `urllib` does.
"""

from __future__ import annotations

from analytics.json_rows import JsonRows, JsonTable, iso_time, iso_time_ok, one_of, quoted
from analytics.rows import REQUEST_LOG_COLUMNS
from analytics.webhook_rows import WEBHOOK_ATTEMPT_COLUMNS, WEBHOOK_DELIVERY_COLUMNS
from domain.webhooks import DeliveryStatus, WebhookEventType

_STRUCTURE = (
    "delivery Tuple(message Tuple(id String, company_id String, event_type String, "
    "occurred_at String, body String, lane String, position Int64, sealed_delivery Nullable(String)), "
    "enqueued_at String, next_attempt_at Nullable(String), status String, attempts Int64, "
    "round String), at String, url String, response_status Int64, duration_ms Int64, error String"
)
_M = "delivery.message"
# A URL `urlsplit` + `urlunsplit` leave as they are up to the query: lower-case scheme and host
# (no user, no IPv6 literal), a port without leading zeros, printable ASCII after the host.
_PLAIN_URL = r"^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[1-9][0-9]{0,4})?([/?#][!-~]*)?$"
_PORT = r"^https?://[^/?#:]*:([0-9]+)"

_WITH = (
    f"concat({_M}.id, ':', delivery.round, ':', toString(delivery.attempts)) AS attempt_id",
    "if(ifNull(delivery.next_attempt_at, '') = '', NULL, delivery.next_attempt_at) AS next_at",
)
_NEXT_AT = f"if(next_at IS NULL, NULL, {iso_time('assumeNotNull(next_at)', 3)})"
_CHECK = " AND ".join((
    one_of(f"{_M}.event_type", (t.value for t in WebhookEventType)),
    one_of("delivery.status", (s.value for s in DeliveryStatus)),
    iso_time_ok(f"{_M}.occurred_at"), iso_time_ok("delivery.enqueued_at"), iso_time_ok("at"),
    f"(next_at IS NULL OR {iso_time_ok('assumeNotNull(next_at)')})",
    "isValidUTF8(concatWithSeparator('\\n', "
    f"{_M}.id, {_M}.company_id, {_M}.body, {_M}.lane, ifNull({_M}.sealed_delivery, ''), "
    "delivery.round, url, error))",
    # webhook_request_row parses the URL of an attempt that made a call
    f"(delivery.attempts = 0 OR url = '' OR (match(url, {quoted(_PLAIN_URL)}) "
    f"AND toUInt32OrZero(extract(url, {quoted(_PORT)})) <= 65535))",
))  # fmt: skip

WEBHOOK_ATTEMPT_FROM_JSON = JsonRows(
    name="webhooks_attempts",
    structure=_STRUCTURE,
    with_=_WITH,
    check=_CHECK,
    tables=(
        JsonTable("webhook_attempts", WEBHOOK_ATTEMPT_COLUMNS, (
            "attempt_id", f"{_M}.id", f"{_M}.company_id", f"{_M}.event_type", "delivery.round",
            "delivery.attempts", "delivery.status", iso_time("at", 3), "url", "response_status",
            "duration_ms", "error", _NEXT_AT, iso_time(f"{_M}.occurred_at", 3),
        )),
        JsonTable("webhook_deliveries", WEBHOOK_DELIVERY_COLUMNS, (
            f"{_M}.id", f"{_M}.company_id", f"{_M}.event_type", f"{_M}.lane", f"{_M}.position",
            iso_time(f"{_M}.occurred_at", 3), "delivery.status", "delivery.attempts",
            "delivery.round", iso_time("delivery.enqueued_at", 3),
            f"if(delivery.attempts > 0, {iso_time('at', 3)}, NULL)", "response_status", "error",
            _NEXT_AT, "url", f"{_M}.body", iso_time("at", 6),
        )),
        # What we sent partners, as request-log lines: sanitized by construction (no headers,
        # no bodies, the URL without query or fragment), as webhook_request_row writes them.
        JsonTable("request_log", REQUEST_LOG_COLUMNS, (
            "attempt_id", "'webhook'", iso_time("at", 3), f"{_M}.company_id", "'POST'",
            "extract(url, '^[^?#]*')", "''", "response_status", "duration_ms", "''", f"{_M}.id",
            f"{_M}.id", "''", "''", "''", "substringUTF8(splitByChar(':', error, 2)[1], 1, 64)",
        ), where="delivery.attempts != 0 AND url != ''"),
    ),  # fmt: skip
)
