"""`orders` and `order_events` rows computed by ClickHouse from `orders.events` messages: the
SQL twins of `decode_order_event` + `order_row` / `order_event_row` (analytics/json_rows.py
says how the twins stay equal).

The hard part is `orders.snapshot`: Python decodes the order, clears the card ciphertext and
writes it again with orjson. The SQL reads each message as a line of text, extracts its fields
once (JSONExtract) and rebuilds the message from them, field by field as `encode_order_event`
(`order_to_dict`, orjson) writes it; it takes the fast path only when the rebuilt text (with
the ciphertext kept) is the line verbatim: then Python's round trip gives back the message's
order text too, and the snapshot is that text with the ciphertext null. Any difference (an
older message without a field, another JSON writer's spacing or escapes, a value the decoder
normalizes or refuses) sends the batch to the decode path.
"""

from __future__ import annotations

from analytics.json_rows import JsonRows, JsonTable, iso_time, iso_time_ok, json_text, one_of, quoted
from analytics.rows import ORDER_COLUMNS, ORDER_EVENT_COLUMNS
from domain.orders import OrderStatus, RecipientKind

# Every field as text (a number's digits, an object's JSON, '' for null or missing). Fields
# that may be null are Nullable, to tell null from ""; for the others null, missing and ""
# all read '', and the text rebuilt from it differs from the message's unless it was "".
_N = "Nullable(String)"
_MESSAGE_TYPE = (
    f"Tuple(event_id String, sequence String, order Tuple(id String, company_id String, "
    f"idempotency_key String, product_id String, amount Tuple(value String, currency String), "
    f"recipient Tuple(kind String, phone {_N}, email {_N}, card_token {_N}, card_bin {_N}, "
    f"card_last4 {_N}, card_ciphertext {_N}), "
    f"end_user Tuple(id String, ip {_N}, device_id {_N}, email {_N}), created_at String, "
    f"history Array(Tuple(status String, reason String, at String)), external_id {_N}, "
    f"metadata String, sandbox String, fee String, delivery {_N}, product_type String, "
    f"provider {_N}, batch_id {_N}, batch_line {_N}))"
)


def _o(*path: str) -> str:
    """A field of the message's order as extracted (`m`): `_o("amount", "value")`."""
    expr = "tupleElement(m, 'order')"
    for name in path:
        expr = f"tupleElement({expr}, '{name}')"
    return expr


def _fields(*pairs: tuple[str, str]) -> str:
    """concat arguments for `"name":value` pairs; each name carries the JSON punctuation
    before it (`,"fee":`, `},"end_user":{"id":`)."""
    return ", ".join(f"{quoted(name)}, {value}" for name, value in pairs)


_FOREIGN_ESCAPE = r"\\u(00[01][A-F]|202[89])"
_JSON_STRING = r'"([^"\\]|\\.)*"'
_NOT_AN_INT64 = r"[0-9][.eE]|[0-9]{19}"  # a float, or more digits than an Int64 holds
_INT = r"^(0|-?[1-9][0-9]{0,17})$"  # as orjson writes a Python int (no -0, no 1.0, no 1e3)
_NATURAL = r"^(0|[1-9][0-9]{0,17})$"
_SEQUENCE = r"^(0|[1-9][0-9]{0,8})$"  # fits the UInt32 column
_LINE = r"^[1-9][0-9]{0,8}$"  # a batch line: from 1, fits the UInt32 column
_J = json_text  # a Nullable(String) as JSON


def _t(*path: str) -> str:
    """A String field as JSON."""
    return f"toJSONString({_o(*path)})"


_LAST = "arrayElement(h, -1)"  # the latest status change: the row's status, reason, time
_WITH = (
    f"JSONExtract(line, {quoted(_MESSAGE_TYPE)}) AS m",
    f"{_o('history')} AS h",
    f"{_o('metadata')} AS meta",
    # A batch order's line (messages.py writes both fields last, and only on batch orders).
    f"{_o('batch_id')} AS batch_id",
    f"{_o('batch_line')} AS batch_line",
    "if(isNull(batch_id), '', concat(',\"batch_id\":', toJSONString(assumeNotNull(batch_id)), "
    "',\"batch_line\":', assumeNotNull(batch_line))) AS batch",
    # order_to_dict's fields in its order, as orjson writes them, up to the card ciphertext …
    "concat(" + _fields(
        ('{"id":', _t("id")), (',"company_id":', _t("company_id")),
        (',"idempotency_key":', _t("idempotency_key")), (',"product_id":', _t("product_id")),
        (',"amount":{"value":', _o("amount", "value")),
        (',"currency":', _t("amount", "currency")),
        ('},"recipient":{"kind":', _t("recipient", "kind")),
        (',"phone":', _J(_o("recipient", "phone"))), (',"email":', _J(_o("recipient", "email"))),
        (',"card_token":', _J(_o("recipient", "card_token"))),
        (',"card_bin":', _J(_o("recipient", "card_bin"))),
        (',"card_last4":', _J(_o("recipient", "card_last4"))),
    ) + ", ',\"card_ciphertext\":') AS head",
    # … and after it. Python's normalizations: metadata that is not an object → {} (only an
    # object survives the check), product_type null → "", provider "" → null.
    "concat(" + _fields(
        ('},"end_user":{"id":', _t("end_user", "id")), (',"ip":', _J(_o("end_user", "ip"))),
        (',"device_id":', _J(_o("end_user", "device_id"))), (',"email":', _J(_o("end_user", "email"))),
        ('},"created_at":', _t("created_at")),
        (',"history":[', "arrayStringConcat(arrayMap(x -> concat(" + _fields(
            ('{"status":', "toJSONString(tupleElement(x, 'status'))"),
            (',"reason":', "toJSONString(tupleElement(x, 'reason'))"), (',"at":', "toJSONString(tupleElement(x, 'at'))"),
        ) + ", '}'), h), ',')"),
        ('],"external_id":', _J(_o("external_id"))),
        (',"metadata":', "if(startsWith(meta, '{'), meta, '{}')"),
        (',"sandbox":', _o("sandbox")), (',"fee":', _o("fee")),
        (',"delivery":', _J(_o("delivery"))),
        (',"product_type":', _t("product_type")),
        (',"provider":', f"if(ifNull({_o('provider')}, '') = '', 'null', toJSONString({_o('provider')}))"),
    ) + ", batch, '}') AS tail",
)

_CHECK = " AND ".join((
    # the message as the decoder reads it and orjson writes it again, byte for byte …
    "concat('{\"v\":1,\"event_id\":', toJSONString(tupleElement(m, 'event_id')), "
    "',\"sequence\":', tupleElement(m, 'sequence'), ',\"order\":', head, "
    f"{_J(_o('recipient', 'card_ciphertext'))}, tail, '}}') = line",
    # … where ClickHouse and orjson read and write text alike: not so for escapes orjson never
    # writes (upper-case hex, U+2028/9), invalid UTF-8, floats and huge integers (looked for
    # in the metadata as ClickHouse writes it again, its strings emptied)
    f"NOT match(line, {quoted(_FOREIGN_ESCAPE)})",
    "isValidUTF8(line)",
    f"NOT match(replaceRegexpAll(meta, {quoted(_JSON_STRING)}, ''), {quoted(_NOT_AN_INT64)})",
    # … and values the decoder accepts (int(), Money, _fee, enums, fromisoformat)
    f"match(tupleElement(m, 'sequence'), {quoted(_SEQUENCE)})",
    f"match({_o('amount', 'value')}, {quoted(_INT)})",
    f"match({_o('amount', 'currency')}, '^[A-Z]{{3}}$')",
    f"match({_o('fee')}, {quoted(_NATURAL)})",
    f"{_o('sandbox')} IN ('true', 'false')",
    one_of(_o("recipient", "kind"), (k.value for k in RecipientKind)),
    "length(h) > 0",
    "arrayAll(x -> " + one_of("tupleElement(x, 'status')", (s.value for s in OrderStatus)) + ", h)",
    "arrayAll(x -> " + iso_time_ok("tupleElement(x, 'at')") + ", h)",
    iso_time_ok(_o("created_at")),
    # no batch, or a batch id and a line number from 1 (BatchLineRef), fitting the UInt32 column
    "((isNull(batch_id) AND isNull(batch_line)) OR (batch_id != '' AND "
    f"match(ifNull(batch_line, ''), {quoted(_LINE)})))",
))

ORDER_EVENT_FROM_JSON = JsonRows(
    name="orders_events",
    # Whole lines, not parsed into fields: the SQL parses each message once (JSONExtract) and
    # compares the text it rebuilds with the line.
    structure="line String",
    format="LineAsString",
    with_=_WITH,
    check=_CHECK,
    tables=(
        JsonTable("order_events", ORDER_EVENT_COLUMNS, (
            "tupleElement(m, 'event_id')", _o("id"), _o("company_id"),
            "toUInt32(tupleElement(m, 'sequence'))",
            f"tupleElement({_LAST}, 'status')", f"tupleElement({_LAST}, 'reason')",
            iso_time(f"tupleElement({_LAST}, 'at')", 3),
            f"toInt64({_o('amount', 'value')})", _o("amount", "currency"),
        )),
        JsonTable("orders", ORDER_COLUMNS, (
            _o("id"), _o("company_id"), _o("idempotency_key"), _o("product_id"),
            _o("product_type"), f"ifNull({_o('provider')}, '')",
            f"toInt64({_o('amount', 'value')})", f"toInt64({_o('fee')})", _o("amount", "currency"),
            f"tupleElement({_LAST}, 'status')", f"tupleElement({_LAST}, 'reason')",
            _o("recipient", "kind"), f"ifNull({_o('recipient', 'card_bin')}, '')",
            f"ifNull({_o('recipient', 'card_last4')}, '')", f"ifNull({_o('recipient', 'card_token')}, '')",
            _o("end_user", "id"), f"ifNull({_o('external_id')}, '')", f"{_o('sandbox')} = 'true'",
            iso_time(_o("created_at"), 3), iso_time(f"tupleElement({_LAST}, 'at')", 3),
            "length(h)", "ifNull(batch_id, '')", "toUInt32(ifNull(batch_line, '0'))",
            "concat(head, 'null', tail)",  # the snapshot: the card ciphertext is never stored
        )),
    ),  # fmt: skip
)
