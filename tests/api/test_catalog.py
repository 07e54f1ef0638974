"""`GET /v1/catalog` and the catalog check of `POST /v1/orders`: an order the company's catalog
does not offer is a 422 naming why, and nothing reaches the log."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from domain.catalog import CompanyProduct, Fee, ProductRevision
from domain.registry import SetCompanyCatalog
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import T0, order_body

CARD = {"card_number": "4111111111111111"}
PHONE = {"phone": "+4915112345678"}
EMAIL = {"email": "winner@example.com"}


async def _offer(api: ApiHarness, *choices: CompanyProduct, company: str = "cmp_a") -> None:
    await api.registry.submit(SetCompanyCatalog(f"offer-{len(api.registry.commands)}", company, choices, T0))


async def test_the_catalog_lists_the_companys_products_on_its_terms(api: ApiHarness) -> None:
    await _offer(
        api, CompanyProduct("topup-de", max_amount=5000, fee=Fee(10, 0)), CompanyProduct("amazon-de-25"),
        CompanyProduct("card-transfer-usd"),
    )  # fmt: skip
    response = await api.client.get("/v1/catalog")

    assert response.status_code == 200
    assert response.json() == {"object": "list", "data": [
        {"id": "topup-de", "object": "product", "type": "mobile_topup", "brand": "Telekom/Vodafone",
         "currency": "EUR", "denominations": None, "min_amount": 500, "max_amount": 5000,
         "fee": {"fixed": 10, "basis_points": 0}},
        {"id": "amazon-de-25", "object": "product", "type": "gift_certificate", "brand": "Amazon.de",
         "currency": "EUR", "denominations": [2500], "min_amount": None, "max_amount": None,
         "fee": {"fixed": 0, "basis_points": 0}},
        {"id": "card-transfer-usd", "object": "product", "type": "card_transfer",
         "brand": "Visa/Mastercard", "currency": "USD", "denominations": None, "min_amount": 100,
         "max_amount": 1_000_000, "fee": {"fixed": 25, "basis_points": 100}},
    ]}  # fmt: skip


async def test_unavailable_products_and_other_companies_terms_are_not_shown(api: ApiHarness) -> None:
    await _offer(api, CompanyProduct("topup-de"), CompanyProduct("zalando-50"))
    await _offer(api, CompanyProduct("virtual-card-eur"), company="cmp_b")
    zalando = api.products.revisions_by_id["zalando-50"].product
    api.products.revisions_by_id["zalando-50"] = ProductRevision(replace(zalando, available=False), 2, T0)

    mine = (await api.client.get("/v1/catalog")).json()["data"]
    theirs = (await api.client.get("/v1/catalog", headers={"Authorization": f"Bearer {OTHER_KEY}"})).json()

    assert [p["id"] for p in mine] == ["topup-de"]
    assert [p["id"] for p in theirs["data"]] == ["virtual-card-eur"]


async def test_an_empty_catalog_is_an_empty_list_and_needs_a_key(api: ApiHarness) -> None:
    await _offer(api)
    assert (await api.client.get("/v1/catalog")).json() == {"object": "list", "data": []}
    anonymous = await api.client.get("/v1/catalog", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_an_order_carries_the_fee_of_the_companys_terms(api: ApiHarness) -> None:
    await _offer(api, CompanyProduct("card-transfer-eur", fee=Fee(30, 200)))
    body = order_body(amount={"value": 10_000, "currency": "EUR"})
    response = await api.client.post("/v1/orders", json=body, headers={"Idempotency-Key": "fee-1"})

    assert response.status_code == 201, response.text
    [request] = api.intake.submitted
    assert request.fee == 30 + 200  # 2 % of 100.00 EUR plus 0.30 EUR
    assert request.product_type == "card_transfer"  # reports filter by it without the catalog


# (name, company's products, product, amount, recipient, problem pointer, words of the detail)
REFUSALS: list[tuple[str, tuple[CompanyProduct, ...], str, dict[str, Any], dict[str, str], str, str]] = [
    ("not in catalog", (CompanyProduct("topup-de"),), "card-transfer-eur", {"value": 1500, "currency": "EUR"},
     CARD, "/product_id", "not in your catalog"),
    ("unknown product", (CompanyProduct("topup-de"),), "no-such-thing", {"value": 1500, "currency": "EUR"},
     CARD, "/product_id", "not in your catalog"),
    ("empty catalog", (), "topup-de", {"value": 1500, "currency": "EUR"}, PHONE, "/product_id",
     "not in your catalog"),
    ("wrong currency", (CompanyProduct("card-transfer-eur"),), "card-transfer-eur",
     {"value": 1500, "currency": "USD"}, CARD, "/amount/currency", "pays out in EUR"),
    ("card transfer to a phone", (CompanyProduct("card-transfer-eur"),), "card-transfer-eur",
     {"value": 1500, "currency": "EUR"}, PHONE, "/recipient", "pays to a card_number"),
    ("top-up to a card", (CompanyProduct("topup-de"),), "topup-de", {"value": 1500, "currency": "EUR"},
     CARD, "/recipient", "pays to a phone"),
    ("gift by phone", (CompanyProduct("amazon-de-25"),), "amazon-de-25", {"value": 2500, "currency": "EUR"},
     PHONE, "/recipient", "pays to a email"),
    ("denomination not offered", (CompanyProduct("amazon-de-25"),), "amazon-de-25",
     {"value": 3000, "currency": "EUR"}, EMAIL, "/amount/value", "comes in 25.00 EUR"),
    ("below the product minimum", (CompanyProduct("card-transfer-eur"),), "card-transfer-eur",
     {"value": 99, "currency": "EUR"}, CARD, "/amount/value", "minimum is 1.00 EUR"),
    ("above the company maximum", (CompanyProduct("card-transfer-eur", max_amount=5000),),
     "card-transfer-eur", {"value": 5001, "currency": "EUR"}, CARD, "/amount/value", "maximum is 50.00 EUR"),
    ("below the company minimum", (CompanyProduct("topup-de", min_amount=1000),), "topup-de",
     {"value": 999, "currency": "EUR"}, PHONE, "/amount/value", "minimum is 10.00 EUR"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("enabled", "product", "amount", "recipient", "pointer", "words"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_an_order_outside_the_catalog_is_refused_and_writes_nothing(
    api: ApiHarness, enabled: tuple[CompanyProduct, ...], product: str, amount: dict[str, Any],
    recipient: dict[str, str], pointer: str, words: str,
) -> None:  # fmt: skip
    await _offer(api, *enabled)
    body = order_body(product_id=product, amount=amount, recipient=recipient)

    response = await api.client.post("/v1/orders", json=body, headers={"Idempotency-Key": "refused-1"})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://docs.quadra.dev/problems/outside-catalog"
    assert words in problem["detail"] and problem["request_id"]
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert api.intake.submitted == []  # nothing was written to Kafka
    assert "4111111111111111" not in response.text
    [record] = api.log.records
    assert record.status == 422


async def test_a_valid_order_of_each_sandbox_product_is_taken(api: ApiHarness) -> None:
    cases = [("card-transfer-eur", 1500, CARD), ("card-transfer-usd", 1500, CARD),
             ("virtual-card-eur", 2500, EMAIL), ("amazon-de-25", 2500, EMAIL),
             ("zalando-50", 5000, EMAIL), ("topup-de", 1000, PHONE)]  # fmt: skip
    for n, (product, value, recipient) in enumerate(cases):
        currency = "USD" if product.endswith("usd") else "EUR"
        body = order_body(product_id=product, amount={"value": value, "currency": currency}, recipient=recipient)
        response = await api.client.post("/v1/orders", json=body, headers={"Idempotency-Key": f"ok-{n}"})
        assert response.status_code == 201, (product, response.text)
    assert len(api.intake.submitted) == len(cases)
    assert [r.product_type for r in api.intake.submitted] == [
        "card_transfer", "card_transfer", "virtual_card", "gift_certificate", "gift_certificate",
        "mobile_topup",
    ]  # fmt: skip

