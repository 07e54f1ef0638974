"""The samples the client tests use are what the API's own response schemas produce, and the
client reads each into its model without loss."""

from __future__ import annotations

from datetime import UTC, datetime

from quadra_client import (
    Balances,
    Batch,
    BatchLine,
    CatalogProduct,
    FraudReport,
    Order,
    WebhookEndpoint,
)
from quadra_client.models import OrderStatus

from api.balance_schemas import BalancesOut
from api.catalog_schemas import CatalogProductOut
from api.fraud_report_schemas import FraudReportOut
from api.schemas import OrderOut
from api.webhook_schemas import WebhookEndpointWithSecret
from tests.clients.wire_samples import (
    balances_json,
    batch_json,
    batch_line_json,
    catalog_product_json,
    fraud_report_json,
    order_json,
    webhook_endpoint_json,
)


def test_samples_satisfy_the_api_response_schemas() -> None:
    OrderOut.model_validate(order_json(delivery={"code": "GIFT-1"}))
    CatalogProductOut.model_validate(catalog_product_json())
    BalancesOut.model_validate(balances_json())
    WebhookEndpointWithSecret.model_validate(webhook_endpoint_json())
    FraudReportOut.model_validate(fraud_report_json())


def test_an_order_reads_into_typed_fields() -> None:
    order = Order.from_json(order_json(delivery={"code": "GIFT-1"}))
    assert order.amount.value == 1500 and order.fee.value == 50
    assert order.status == OrderStatus.COMPLETED and order.is_final and order.is_resting
    assert order.created_at == datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)
    assert [h.status for h in order.history] == ["received", "completed"]
    assert order.recipient.card_last4 == "1111" and order.delivery == {"code": "GIFT-1"}
    assert order.metadata == {"campaign": "q4", "n": 3}


def test_an_unknown_order_status_is_kept_and_treated_as_pending() -> None:
    order = Order.from_json(order_json(status="queued_for_bank"))
    assert order.status == "queued_for_bank" and not order.is_resting


def test_the_other_answers_read_into_their_models() -> None:
    product = CatalogProduct.from_json(catalog_product_json())
    assert product.denominations == (2500, 5000) and product.admits(2500) and not product.admits(2600)
    ranged = CatalogProduct.from_json(catalog_product_json(denominations=None, min_amount=100, max_amount=None))
    assert ranged.admits(100) and ranged.admits(10**9) and not ranged.admits(99)
    balances = Balances.from_json(balances_json())
    assert balances.in_currency("EUR").limits.per_product_day == {"card-transfer-eur": 100000}
    assert WebhookEndpoint.from_json(webhook_endpoint_json()).secret.startswith("whsec_")  # type: ignore[union-attr]
    assert FraudReport.from_json(fraud_report_json()).end_user_id == "user-1"
    batch = Batch.from_json(batch_json())
    assert batch.counts.pending == 1 and batch.totals[0].fees == 30 and not batch.is_completed
    line = BatchLine.from_json(batch_line_json(2, rejected=True))
    assert line.is_rejected and line.errors[0].pointer == "/recipient/card_number" and line.amount is None
