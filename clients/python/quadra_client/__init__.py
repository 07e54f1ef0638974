"""Typed client for the Quadra partner API (sync `Quadra`, async `AsyncQuadra`).

    from quadra_client import Quadra
    with Quadra("qk_test_…", base_url="http://127.0.0.1:8000") as quadra:
        order = quadra.create_order({...}, wait=5)
"""

from quadra_client.async_client import AsyncQuadra
from quadra_client.batch_models import (
    REJECTED_LINE,
    Batch,
    BatchCounts,
    BatchLine,
    BatchStatus,
    BatchTotal,
)
from quadra_client.bodies import AmountBody, EndUserBody, OrderBody, RecipientBody
from quadra_client.core import BatchWaitTimeoutError, OrderFilters, new_idempotency_key
from quadra_client.errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QuadraConnectionError,
    QuadraError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)
from quadra_client.models import (
    Amount,
    Balance,
    Balances,
    CatalogProduct,
    Fee,
    FieldError,
    FraudReport,
    Limits,
    Order,
    OrderStatus,
    Page,
    Recipient,
    StatusChange,
    WebhookEndpoint,
)
from quadra_client.retries import RetryPolicy
from quadra_client.sync_client import Quadra
from quadra_client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "REJECTED_LINE", "Amount", "AmountBody", "AsyncQuadra", "AuthenticationError", "BadRequestError",
    "Balance", "Balances", "Batch", "BatchCounts", "BatchLine", "BatchStatus", "BatchTotal",
    "BatchWaitTimeoutError", "CatalogProduct", "ClientError", "ConflictError", "EndUserBody", "Fee",
    "FieldError", "FraudReport", "Limits", "NotFoundError", "Order", "OrderBody", "OrderFilters",
    "OrderStatus", "Page", "PayloadTooLargeError", "PermissionDeniedError", "Quadra",
    "QuadraConnectionError", "QuadraError", "RateLimitError", "Recipient", "RecipientBody",
    "RetryPolicy", "ServerError", "StatusChange", "UnexpectedResponseError", "ValidationError",
    "WebhookEndpoint", "WebhookVerificationError", "new_idempotency_key", "verify_webhook",
]  # fmt: skip
