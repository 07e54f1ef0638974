"""The pipeline bench's orders: each its own end user and recipient, across every step."""

from __future__ import annotations

import orjson

from bench.pipeline.phases import pipeline_order_body


def _recipient(body: bytes) -> str:
    recipient = orjson.loads(body)["recipient"]
    return str(recipient.get("card_number") or recipient.get("phone"))


def test_the_same_send_index_of_two_steps_pays_two_recipients() -> None:
    # Send i of the warm-up, the 50/s and the 100/s step: three end users. With one recipient
    # among them, the card would be held by the many-users-one-card rule from the third step.
    bodies = [pipeline_order_body(i, tag) for tag in ("run-warm", "run-r50", "run-r100") for i in range(4)]
    recipients = [_recipient(b) for b in bodies]
    assert len(set(recipients)) == len(recipients)
    assert len({orjson.loads(b)["end_user"]["id"] for b in bodies}) == len(bodies)


def test_cards_and_phones_alternate_and_a_given_number_is_reproducible() -> None:
    card, phone = (orjson.loads(pipeline_order_body(i, "t", recipient_no=123)) for i in (0, 1))
    assert card["product_id"] == "card-transfer-eur" and card["recipient"]["card_number"].startswith("411111")
    assert phone["product_id"] == "topup-de" and phone["recipient"] == {"phone": "+4915200000123"}
    assert pipeline_order_body(0, "t", recipient_no=123) == pipeline_order_body(0, "t", recipient_no=123)
