"""Wire round trips of products and of the catalog and webhook on company records."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from domain.catalog import CompanyProduct, Fee, Product, ProductRevision
from domain.companies import Company, CompanyProfile, CompanyStatus
from domain.webhooks import WebhookEndpoint, WebhookEventType
from quadra.catalog_seed import SANDBOX_CATALOG
from streams import messages
from streams import registry_messages as rm
from streams.catalog_messages import decode_product_revision, encode_product_revision
from tests.builders import T0

PROFILE = CompanyProfile("Acme", "Acme GmbH", "DE", "a@acme.test", "n@acme.test")
COMPANY = Company(
    "cmp_a", PROFILE, CompanyStatus.ACTIVE, T0, T0 + timedelta(seconds=1), 7,
    (CompanyProduct("topup-de"), CompanyProduct("card-transfer-eur", 200, None, Fee(0, 25))),
    WebhookEndpoint("https://h.test/q", tuple(WebhookEventType), "k1.c2VhbGVk", T0),
)  # fmt: skip


@pytest.mark.parametrize("product", SANDBOX_CATALOG.products, ids=lambda p: p.id)
def test_product_revisions_round_trip(product: Product) -> None:
    revision = ProductRevision(product, 3, T0, "stf_1")
    assert decode_product_revision(encode_product_revision(revision)) == revision
    unavailable = replace(revision, product=replace(product, available=False))
    assert decode_product_revision(encode_product_revision(unavailable)) == unavailable


def test_companies_carry_their_catalog_and_webhook() -> None:
    assert rm.decode_company(rm.encode_company(COMPANY)) == COMPANY
    bare = replace(COMPANY, catalog=(), webhook=None)
    assert rm.decode_company(rm.encode_company(bare)) == bare


def test_company_records_from_before_catalogs_still_decode() -> None:
    old = rm.company_to_dict(COMPANY)
    del old["catalog"], old["webhook"]
    company = rm.decode_company(messages.dumps(old))
    assert (company.catalog, company.webhook) == ((), None)


_GOOD = orjson.loads(encode_product_revision(ProductRevision(SANDBOX_CATALOG.products[0], 1, T0)))


def _product_with(**changes: object) -> bytes:
    return orjson.dumps({**_GOOD, "product": {**_GOOD["product"], **changes}})


@pytest.mark.parametrize(
    "raw",
    [None, b"nope", b'{"v": 1}', _product_with(type="lottery"), _product_with(min_amount="100"),
     _product_with(min_amount=1.5), _product_with(denominations=[True]), _product_with(currency="XXX"),
     _product_with(fee={"fixed": -1, "basis_points": 0}), _product_with(id="Bad Id"),
     orjson.dumps({**_GOOD, "version": "1"})],
)  # fmt: skip
def test_broken_product_records_raise_message_error(raw: bytes | None) -> None:
    with pytest.raises(messages.MessageError):
        decode_product_revision(raw)


@pytest.mark.parametrize(
    "catalog",
    [[{"product_id": "Bad Id"}], [{"product_id": "p", "min_amount": 0}], [{"product_id": "p", "fee": {}}],
     [{"min_amount": 1}]],
)  # fmt: skip
def test_broken_company_catalogs_raise_message_error(catalog: list[dict[str, object]]) -> None:
    record = {**rm.company_to_dict(COMPANY), "catalog": catalog}
    with pytest.raises(messages.MessageError):
        rm.decode_company(messages.dumps(record))
    command = {"request_id": "r", "company_id": "cmp_a", "at": T0.isoformat(),
               "type": "set_company_catalog", "products": catalog}  # fmt: skip
    with pytest.raises(messages.MessageError):
        rm.decode_registry_command(messages.dumps(command))

