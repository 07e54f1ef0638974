from __future__ import annotations

from dataclasses import replace

import pytest

from detectors.policy import approve_all
from domain.companies import api_key_record
from domain.events import events_for
from domain.intake import Admission, admit
from domain.orders import BatchLineRef, Recipient, RecipientKind
from streams import messages
from tests.builders import order_request


def test_round_trips() -> None:
    request = order_request(
        recipient=Recipient(RecipientKind.CARD, card_token="tok_x", card_bin="411111",
                            card_last4="1111", card_ciphertext="k1.abc"),
        metadata={"campaign": "q4", "n": 3, "ok": True, "none": None},
    )  # fmt: skip
    assert messages.decode_order_request(messages.encode_order_request(request)) == request
    result = admit(request, None, approve_all)
    assert result.entry is not None and result.order is not None
    assert messages.decode_intake_entry(messages.encode_intake_entry(result.entry)) == result.entry
    for event in events_for(result.order):
        assert messages.decode_order_event(messages.encode_order_event(event)) == event
    reply = messages.IntakeReply("r1", Admission.CONFLICT, None)
    assert messages.decode_intake_reply(messages.encode_intake_reply(reply)) == reply
    key = api_key_record("qk_test_" + "a" * 43, "cmp", "Company")
    assert messages.decode_api_key(messages.encode_api_key(key)) == key


@pytest.mark.parametrize(
    "raw",
    [None, b"", b"not json", b"[]", b'{"v": 99}', b'{"v": 1}', b'{"v": 1, "request_id": 5}'],
)
def test_undecodable_messages_raise_message_error(raw: bytes | None) -> None:
    for decode in (
        messages.decode_order_request,
        messages.decode_order_event,
        messages.decode_intake_reply,
        messages.decode_request_log,
        messages.decode_api_key,
    ):
        with pytest.raises(messages.MessageError):
            decode(raw)


def test_product_type_and_provider_travel_and_old_records_default() -> None:
    request = order_request(product_type="gift_certificate")
    assert messages.decode_order_request(messages.encode_order_request(request)) == request
    order = admit(request, None, approve_all).order
    assert order is not None and order.product_type == "gift_certificate"
    sent = replace(order, provider="gifts")
    assert messages.order_from_dict(messages.order_to_dict(sent)) == sent
    # Records written before these fields existed decode with none.
    old = messages.order_to_dict(order)
    del old["product_type"], old["provider"]
    decoded = messages.order_from_dict(old)
    assert (decoded.product_type, decoded.provider) == ("", None)
    with pytest.raises(messages.MessageError):
        messages.order_from_dict({**old, "provider": 7})


def test_a_batch_line_travels_from_request_to_order_and_other_orders_are_written_as_before() -> None:
    plain = order_request()
    assert b"batch" not in messages.encode_order_request(plain)  # byte for byte as before batches
    request = replace(plain, batch=BatchLineRef("bat_1", 42))
    assert messages.decode_order_request(messages.encode_order_request(request)) == request
    order = admit(request, None, approve_all).order
    assert order is not None and order.batch == BatchLineRef("bat_1", 42)
    assert messages.order_from_dict(messages.order_to_dict(order)) == order
    [event] = events_for(order)[-1:]
    assert messages.decode_order_event(messages.encode_order_event(event)).order.batch == order.batch
    written = messages.order_to_dict(order)
    assert list(written)[-2:] == ["batch_id", "batch_line"]  # last: the sink's SQL twin relies on it
    for bad in ({"batch_line": None}, {"batch_id": None}, {"batch_line": 0}, {"batch_line": "42"},
                {"batch_line": True}, {"batch_id": 7}, {"batch_id": ""}):  # fmt: skip
        with pytest.raises(messages.MessageError):
            messages.order_from_dict({**written, **bad})
