"""Reading CSV batches into order bodies, amounts into minor units, and rolling a batch's orders
up into its progress: table-driven, hostile input included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.batches import (
    MAX_LINES,
    BatchFormat,
    BatchHeader,
    BatchLine,
    BatchStatus,
    BatchTooLarge,
    InvalidBatch,
    LineError,
    MalformedCsv,
    OrderTally,
    csv_column,
    line_idempotency_key,
    minor_units,
    parse_csv,
    result_row,
    rollup,
    safe_external_id,
)
from tests.builders import T0, card_number

HEADER = "external_id,product_id,amount,currency,card_number,phone,email,end_user_id"
CARD = card_number(7)


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("10.50", "EUR", 1050), ("10", "EUR", 1000), ("10.5", "EUR", 1050), ("0.01", "EUR", 1),
    ("0", "EUR", 0), ("007", "EUR", 700), ("1050", "JPY", 1050), ("1.005", "KWD", 1005),
    ("999999999999999.99", "EUR", 99_999_999_999_999_999),  # exact: no float ever rounds it
    ("0.1", "EUR", 10), ("1.10", "USD", 110),
])  # fmt: skip
def test_amounts_become_minor_units_exactly(text: str, currency: str, minor: int) -> None:
    assert minor_units(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "says"), [
    ("10.505", "EUR", "too many decimals: EUR has 2"), ("10.5", "JPY", "too many decimals: JPY has 0"),
    ("10.500", "EUR", "too many decimals"), ("10,50", "EUR", "not an amount"), ("1e3", "EUR", "not an amount"),
    ("-5", "EUR", "not an amount"), ("+5", "EUR", "not an amount"), (".5", "EUR", "not an amount"),
    ("5.", "EUR", "not an amount"), ("NaN", "EUR", "not an amount"), ("", "EUR", "not an amount"),
    ("١٠", "EUR", "not an amount"),  # Arabic-Indic digits: \d would take them, int() too
    ("10", "XXX", "unknown currency"), ("1" * 16, "EUR", "not an amount"),
])  # fmt: skip
def test_amounts_that_are_not_amounts_say_why_without_quoting_them(text: str, currency: str, says: str) -> None:
    with pytest.raises(ValueError) as refused:
        minor_units(text, currency)
    assert says in str(refused.value) and (len(text) < 3 or text not in str(refused.value))


def _one(row: str, header: str = HEADER) -> tuple[dict[str, object], list[tuple[str, str]]]:
    [line] = parse_csv(f"{header}\n{row}\n".encode())
    return line.body, [(e.pointer, e.code) for e in line.errors]


GOOD_LINES = [
    (f"e-1,card-transfer-eur,10.50,EUR,{CARD},,,u-1", {
        "product_id": "card-transfer-eur", "external_id": "e-1", "amount": {"value": 1050, "currency": "EUR"},
        "recipient": {"card_number": CARD}, "end_user": {"id": "u-1"}}),
    (",topup-de,5,EUR,,+4915112345678,,u-2", {
        "product_id": "topup-de", "amount": {"value": 500, "currency": "EUR"},
        "recipient": {"phone": "+4915112345678"}, "end_user": {"id": "u-2"}}),
    ('"e,3",amazon-de-25,"25.00",EUR,,,"a""b@x.test",u-3', {  # quoted comma and quote
        "product_id": "amazon-de-25", "external_id": "e,3", "amount": {"value": 2500, "currency": "EUR"},
        "recipient": {"email": 'a"b@x.test'}, "end_user": {"id": "u-3"}}),
    (f" e-4 , card-transfer-eur , 10 , EUR , {CARD} ,,, u-4 ", {  # cells are trimmed
        "product_id": "card-transfer-eur", "external_id": "e-4", "amount": {"value": 1000, "currency": "EUR"},
        "recipient": {"card_number": CARD}, "end_user": {"id": "u-4"}}),
]  # fmt: skip


@pytest.mark.parametrize(("row", "body"), GOOD_LINES)
def test_good_lines_become_order_bodies(row: str, body: dict[str, object]) -> None:
    assert _one(row) == (body, [])


# Faults the reader finds; the order schema finds the rest (tests/api/test_batches.py).
BAD_LINES = [
    ("e,card-transfer-eur,10.505,EUR,,,,u", [("amount", "invalid")]),
    ("e,card-transfer-eur,ten,EUR,,,,u", [("amount", "invalid")]),
    ("e,card-transfer-eur,10,XYZ,,,,u", [("currency", "invalid")]),
    ("e,card-transfer-eur,10,EUR,,,,u,extra", [("line", "field_count")]),
    ("e,card-transfer-eur,10,EUR", [("line", "field_count")]),
    ("e," + "x" * 100_000 + ",10,EUR,,,,u", [("product_id", "too_long")]),  # a 100k-character field
]  # fmt: skip


@pytest.mark.parametrize(("row", "errors"), BAD_LINES, ids=lambda v: str(v)[:40])
def test_the_readers_own_faults_name_the_column_and_never_quote_it(row: str, errors: list[tuple[str, str]]) -> None:
    [line] = parse_csv(f"{HEADER}\n{row}\n".encode())
    assert [(e.pointer, e.code) for e in line.errors] == errors
    assert all("x" * 50 not in e.message and "ten" not in e.message for e in line.errors)


def test_an_amount_without_a_currency_is_left_to_the_schema() -> None:
    [line] = parse_csv(f"{HEADER}\ne,card-transfer-eur,10,,{CARD},,,u\n".encode())
    assert line.errors == () and line.body["amount"] == {} and "amount" in line.flagged


def test_bom_crlf_blank_lines_quoted_newlines_and_column_order() -> None:
    text = (
        "\ufeff\r\n END_USER_ID ,Amount,currency,product_id,email\r\n"
        "u-1,1,EUR,p,a@x.test\r\n\r\n,,,,\r\n"
        '"u-\r\n2",2,EUR,p,b@x.test\r\n'  # a quoted line break stays in the value
        "u-3,3,EUR,p,c@x.test"  # no final line break
    )
    lines = parse_csv(text.encode())
    assert [(x.line, x.body["end_user"]) for x in lines] == [(1, {"id": "u-1"}), (2, {"id": "u-\r\n2"}), (3, {"id": "u-3"})]


@pytest.mark.parametrize(("body", "fault"), [
    (b"", InvalidBatch), (b"\r\n\r\n", InvalidBatch), (HEADER.encode(), InvalidBatch),
    (f"{HEADER}\r\n\r\n".encode(), InvalidBatch),
    (b"product_id,amount,currency,end_user_id,card_number,colour\nx,1,EUR,u,1\n", InvalidBatch),
    (b"product_id,amount,currency,end_user_id,card_number,amount\n", InvalidBatch),
    (b"amount,currency,end_user_id,card_number\n1,EUR,u,1\n", InvalidBatch),  # no product_id
    (b"product_id,amount,currency,end_user_id\np,1,EUR,u\n", InvalidBatch),  # no recipient column
    (b"1,2,3\n4,5,6\n", InvalidBatch),  # no header: numbers are no column names
    (f"{HEADER}\n\"unclosed,1\n".encode(), MalformedCsv),
    (f"{HEADER}\n\"a\"b,1\n".encode(), MalformedCsv),  # text after a closing quote
    (HEADER.encode() + b"\n\xff\xfe,1\n", MalformedCsv),  # not UTF-8
    ((f"{HEADER}\n" + "x" * 200_000 + "\n").encode(), MalformedCsv),  # past the csv module's field limit
])  # fmt: skip
def test_a_body_that_is_no_batch_is_refused_whole(body: bytes, fault: type[Exception]) -> None:
    with pytest.raises(fault):
        parse_csv(body)


def test_an_unknown_column_that_is_a_card_number_is_named_by_position_only() -> None:
    with pytest.raises(InvalidBatch) as refused:
        parse_csv(f"product_id,amount,currency,end_user_id,card_number,{CARD}\n".encode())
    assert CARD not in refused.value.detail and "#6" in refused.value.detail and refused.value.pointer == "header/5"


def test_hostile_header_names_are_cut_short() -> None:
    with pytest.raises(InvalidBatch) as refused:
        parse_csv(b"product_id,<script>alert(1)</script>" + b"x" * 500 + b"\n")
    assert len(refused.value.detail) < 200


def test_ten_thousand_lines_are_a_batch_and_one_more_is_too_many() -> None:
    row = f"e,p,1,EUR,{CARD},,,u\n"
    assert len(parse_csv((HEADER + "\n" + row * MAX_LINES).encode())) == MAX_LINES
    with pytest.raises(BatchTooLarge) as refused:
        parse_csv((HEADER + "\n" + row * (MAX_LINES + 1)).encode())
    assert refused.value.status == 413 and refused.value.slug == "batch-too-large"


@pytest.mark.parametrize(("value", "kept"), [
    ("ext-1", "ext-1"), ("a:b@c+d-e.f_g", "a:b@c+d-e.f_g"), ("x" * 128, "x" * 128), ("x" * 129, None),
    ("<script>", None), ("' OR 1=1 --", None), ("", None), (None, None), (7, None), (CARD, None),
    (f"ref-{CARD}", None),
])  # fmt: skip
def test_only_plain_identifiers_are_kept_as_external_ids(value: object, kept: str | None) -> None:
    assert safe_external_id(value) == kept


def test_pointers_map_to_columns() -> None:
    assert [csv_column(p) for p in ("/amount/value", "/amount/currency", "/recipient", "/end_user/id", "", "/x")] == [
        "amount", "currency", "recipient", "end_user_id", "line", "line"]
    assert line_idempotency_key("bat_1", 7) == "batch:bat_1:7"


def _header(accepted: int) -> BatchHeader:
    return BatchHeader("bat_1", "cmp_a", "k", "h", BatchFormat.CSV, None, True, "r", T0, accepted + 2, accepted, 2)


def test_rollup_counts_resting_orders_and_totals_completed_ones_per_currency() -> None:
    later = T0 + timedelta(minutes=3)
    tallies = [
        OrderTally("completed", "EUR", 3, 4500, 135, T0), OrderTally("completed", "USD", 1, 100, 26, later),
        OrderTally("failed", "EUR", 1, 1000, 35, T0), OrderTally("dispatched", "EUR", 2, 2000, 70, T0),
    ]  # fmt: skip
    progress = rollup(_header(7), tallies)
    assert progress.status is BatchStatus.PROCESSING and progress.completed_at is None
    assert dict(progress.counts) == {"completed": 4, "failed": 1, "in_review": 0, "declined": 0, "rejected": 0, "pending": 2}
    assert [(t.currency, t.paid, t.fees) for t in progress.totals] == [("EUR", 4500, 135), ("USD", 100, 26)]
    done = rollup(_header(5), tallies[:3] + [OrderTally("in_review", "EUR", 0, 0, 0, T0)])
    assert done.status is BatchStatus.COMPLETED and done.completed_at == later


def test_a_batch_without_good_lines_is_completed_at_once() -> None:
    progress = rollup(_header(0), [])
    assert progress.status is BatchStatus.COMPLETED and progress.completed_at == T0 and progress.counts["pending"] == 0


def test_result_rows_explain_and_defuse_spreadsheet_formulas() -> None:
    rejected = BatchLine(2, "rejected_line", "=cmd", errors=(LineError("amount", "invalid", "too many decimals"),))
    assert result_row(rejected) == ["2", "'=cmd", "rejected_line", "", "amount: too many decimals"]
    assert result_row(BatchLine(3, "completed", "+1", "ord_1", reason="paid by bank-a")) == [
        "3", "'+1", "completed", "ord_1", "paid by bank-a"]
