"""Ledger wire and state encodings: holds with fees, old holds, payout results with deliveries."""

from __future__ import annotations

import orjson
import pytest

from domain.ledger import Hold, HoldState
from streams import ledger_messages as lm
from streams.messages import MessageError
from tests.domain.ledger_builders import approved_order


def _hold(**fields: object) -> Hold:
    values: dict[str, object] = {
        "order_id": "ord_1", "company_id": "cmp_a", "currency": "EUR", "amount": 1500,
        "end_user_id": "u1", "product_id": "card-transfer-eur", "day": "2026-11-26",
        "state": HoldState.RESERVED, "reason": "reserved",
    }  # fmt: skip
    values.update(fields)
    return Hold(**values)  # type: ignore[arg-type]


def test_a_hold_keeps_its_fee() -> None:
    hold = _hold(fee=40)
    assert lm.decode_hold(lm.encode_hold(hold)) == hold


def test_a_hold_stored_before_fees_decodes_with_no_fee() -> None:
    old = orjson.loads(lm.encode_hold(_hold()))
    del old["fee"]
    decoded = lm.decode_hold(orjson.dumps(old))
    assert (decoded.fee, decoded.total) == (0, 1500)


def test_a_payout_result_carries_the_sealed_delivery() -> None:
    result = lm.PayoutResult(approved_order(), True, "paid by cards", delivery="k1.c2VhbGVk")
    assert lm.decode_payout_result(lm.encode_payout_result(result)) == result


def test_a_payout_result_without_delivery_decodes_as_none() -> None:
    raw = orjson.loads(lm.encode_payout_result(lm.PayoutResult(approved_order(), False, "declined")))
    del raw["delivery"]  # written before deliveries existed
    assert lm.decode_payout_result(orjson.dumps(raw)).delivery is None


def test_a_clear_delivery_object_is_refused() -> None:
    raw = orjson.loads(lm.encode_payout_result(lm.PayoutResult(approved_order(), True, "paid")))
    raw["delivery"] = {"code": "GIFT-1"}
    with pytest.raises(MessageError):
        lm.decode_payout_result(orjson.dumps(raw))


def test_a_book_keeps_its_accounts_last_entry_time_and_older_books_have_none() -> None:
    from domain.ledger import Account, Book
    from tests.builders import T0

    book = Book("cmp_a", (Account("EUR", available=5, last_entry_at=T0),))
    assert lm.decode_book(lm.encode_book(book)) == book
    assert lm.book_from_dict(lm.book_to_dict(book)) == book  # also before any JSON
    older = orjson.loads(lm.encode_book(book))
    del older["accounts"][0]["last_entry_at"]
    assert lm.decode_book(orjson.dumps(older)).accounts[0].last_entry_at is None
