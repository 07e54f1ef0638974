"""Batches for the back-office tests: made through the partner API's use case over the fakes and
served by the staff harness's app (tests/dashboards/test_batches.py, browser/test_batches.py)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from api.batch_service import BatchService
from api.batch_upload import BatchUpload
from api.catalog_service import PartnerCatalog
from api.order_service import OrderService
from domain.cards import CardVault
from domain.companies import api_key_record
from domain.intake import Decision
from domain.orders import OrderStatus
from tests.api.batch_fakes import InMemoryBatches
from tests.api.fakes import InMemoryIntake, InMemoryReader
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.builders import card_number

HOSTILE_SCRIPT = "<script>alert(1)</script>"
CARD = "4111111111111111"


@dataclass
class BatchDesk:
    h: StaffHarness
    service: BatchService
    store: InMemoryBatches
    intake: InMemoryIntake
    ids: list[str]  # the batches made, oldest first


async def _make(service: BatchService, company: str, key: str, text: str) -> str:
    api_key = api_key_record("qk_test_" + "D" * 43, company, company)
    made = await service.create(api_key, key, BatchUpload("text/csv", text.encode()), f"req-{key}", datetime.now(UTC))
    return made.batch.header.id


@pytest.fixture
async def batch_desk(staff_api: StaffHarness) -> AsyncIterator[BatchDesk]:
    """Three batches of the seeded company (the second with a hostile rejected line, the third
    still running) and one of another company's, made through the partner API's use case; the
    app's staff service swapped in."""
    intake = InMemoryIntake()
    intake.decide = lambda order: Decision(OrderStatus.COMPLETED, "paid")
    store = InMemoryBatches(intake)
    vault = CardVault({"k1": base64.b64decode(base64.b64encode(b"k" * 32))}, b"token-key")
    orders = OrderService(intake, InMemoryReader(), vault, 1.0, 10.0, PartnerCatalog(staff_api.products, staff_api.registry))
    service = BatchService(orders, intake, store, store, vault.keyed_hash, reply_timeout_s=1.0)
    head = "external_id,product_id,amount,currency,card_number,end_user_id\n"
    ids = [
        await _make(service, COMPANY, "k-1", head + "".join(
            f"e-{n},card-transfer-eur,{n}.50,EUR,{card_number(n)},u-{n}\n" for n in range(1, 6))),
        await _make(service, COMPANY, "k-2", head + f"{HOSTILE_SCRIPT},card-transfer-eur,10.505,EUR,{CARD},u-1\n"
                    f"ok-2,card-transfer-eur,10,EUR,{card_number(9)},u-2\n"),
    ]  # fmt: skip
    intake.decide = lambda order: Decision(OrderStatus.APPROVED, "ok")  # the third one keeps running
    ids.append(await _make(service, COMPANY, "k-3", head + f"e-1,card-transfer-eur,10,EUR,{card_number(3)},u-1\n"))
    # Another company's (its catalog offers nothing: every line is rejected).
    ids.append(await _make(service, "cmp_other", "k-4", head + f"e-1,card-transfer-eur,10,EUR,{card_number(3)},u-1\n"))
    assert staff_api.app is not None
    services = staff_api.app.state.services
    staff_api.app.state.services = replace(services, staff=replace(services.staff, batches=service))
    yield BatchDesk(staff_api, service, store, intake, ids)
