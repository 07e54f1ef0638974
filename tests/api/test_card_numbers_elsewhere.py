"""A card number pasted into any field but recipient.card_number is refused, never echoed,
and never reaches the log: otherwise it would travel topics and tables in clear."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiHarness
from tests.builders import order_body

PAN = "4111111111111111"
JSON = {"Content-Type": "application/json", "Idempotency-Key": "k-1"}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("external id", order_body(external_id=f"inv-{PAN}")),
    ("end user id", order_body(end_user={"id": PAN})),
    ("device id", order_body(end_user={"id": "u1", "device_id": f"dev-{PAN}"})),
    ("end user email", order_body(end_user={"id": "u1", "email": f"{PAN}@example.com"})),
    ("metadata value", order_body(metadata={"note": "card 4111 1111 1111 1111"})),
    ("metadata value with dashes", order_body(metadata={"note": "4111-1111-1111-1111"})),
    ("metadata key", order_body(metadata={PAN: "x"})),
]  # fmt: skip


@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
async def test_card_number_outside_the_recipient_is_refused(api: ApiHarness, body: Any) -> None:
    response = await api.client.post("/v1/orders", json=body, headers=JSON)
    assert response.status_code == 422, response.text
    assert "looks like a card number" in response.text
    assert PAN not in response.text and "4111 1111" not in response.text
    assert api.intake.submitted == []


async def test_card_number_as_idempotency_key_is_refused(api: ApiHarness) -> None:
    response = await api.client.post(
        "/v1/orders", json=order_body(), headers={**JSON, "Idempotency-Key": PAN}
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-header")
    assert PAN not in response.text
    assert api.intake.submitted == []


async def test_other_long_numbers_are_fine(api: ApiHarness) -> None:
    # 16 digits failing the Luhn check are an ordinary reference, not a card.
    response = await api.client.post(
        "/v1/orders", json=order_body(external_id="4111111111111112"), headers=JSON
    )
    assert response.status_code in (200, 201, 202), response.text


@pytest.mark.parametrize("path", [f"/v1/orders/{PAN}", f"/v1/{PAN}"])
async def test_not_found_never_echoes_a_card_number(api: ApiHarness, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 404
    assert PAN not in response.text


async def test_a_uuid_key_or_id_is_never_taken_for_a_card_number(api: ApiHarness) -> None:
    """A random UUID's digits can run Luhn-valid across a dash (this one: 230-6493238157); the
    e2e suite's uuid4 keys hit one in ~300 and got a 400. A card number stays refused."""
    key = "cff5b03e-010f-4487-a230-6493238157b2"
    body = order_body(external_id=key, end_user={"id": key})
    response = await api.client.post("/v1/orders", json=body, headers={**JSON, "Idempotency-Key": key})
    assert response.status_code in (201, 202), response.text
    grouped = "4111-1111-1111-1111"
    refused = await api.client.post("/v1/orders", json=order_body(), headers={**JSON, "Idempotency-Key": grouped})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "value",
    [
        "ord_01a21ddd693ed728d322527868325eaa",  # 322527868325 is Luhn-valid: a 400 in the soak
        "soak-review-ord_01a21ddd693ed728d322527868325eaa",
        "review-cff5b03e-010f-4487-a230-6493238157b2",  # a UUID inside a longer key
        "665f1c2a9b3e4d5f6a7b8c9d",  # an object id: 24 hex
    ],
)
async def test_opaque_ids_in_keys_and_references_are_never_taken_for_card_numbers(api: ApiHarness, value: str) -> None:
    body = order_body(external_id=value, metadata={"ref": value})
    response = await api.client.post("/v1/orders", json=body, headers={**JSON, "Idempotency-Key": value})
    assert response.status_code in (201, 202), response.text


@pytest.mark.parametrize(
    "value",
    [f"ord_{PAN}", f"{PAN}-review", f"x{PAN}", f"{PAN}abc"],  # not hex ids: no letter, or too short
)
async def test_a_card_number_next_to_an_id_is_still_refused(api: ApiHarness, value: str) -> None:
    response = await api.client.post("/v1/orders", json=order_body(), headers={**JSON, "Idempotency-Key": value})
    assert response.status_code == 400, response.text
