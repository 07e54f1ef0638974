"""`Quadra`: the blocking client. Every method is one plan of `QuadraCore`, performed here."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from quadra_client.batch_models import Batch, BatchLine
from quadra_client.bodies import OrderBody
from quadra_client.core import (
    DEFAULT_BASE_URL,
    OrderFilters,
    Outcome,
    Plan,
    QuadraCore,
    Sleep,
    Step,
    auth_headers,
    settings_from_env,
)
from quadra_client.errors import UnexpectedResponseError
from quadra_client.models import (
    Balances,
    CatalogProduct,
    FraudReport,
    Order,
    Page,
    WebhookEndpoint,
)
from quadra_client.retries import RetryPolicy

T = TypeVar("T")


class Quadra:
    """`Quadra(api_key, base_url=…)`; use it as a context manager or call `close()`.
    `transport` replaces the network (e.g. `httpx.MockTransport` in tests); `sleep` and
    `monotonic` replace the clock for retries and `wait_for_batch`."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        retries: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, headers=auth_headers(api_key), timeout=timeout, transport=transport)
        self._core = QuadraCore(retries or RetryPolicy(), timeout, monotonic)
        self._sleep = sleep

    @classmethod
    def from_env(cls, **options: Any) -> Quadra:
        """QUADRA_API_URL (default a local `quadra up`) and QUADRA_API_KEY; `options` as above."""
        base_url, api_key = settings_from_env(os.environ)
        return cls(api_key, base_url, **options)

    # --- driving plans ---

    def _run(self, plan: Plan[T]) -> T:
        outcome: Outcome = None
        try:
            while True:
                outcome = self._perform(plan.send(outcome))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _perform(self, step: Step) -> Outcome:
        if isinstance(step, Sleep):
            self._sleep(step.seconds)
            return None
        spec = step.request
        request = self._http.build_request(
            spec.method, spec.path, params=spec.params, headers=spec.headers, content=spec.content,
            timeout=spec.timeout if spec.timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
        try:
            return self._http.send(request)
        except httpx.TransportError as exc:
            return exc

    def _iterate(self, page_at: Callable[[str | None], Plan[Page[T]]]) -> Iterator[T]:
        cursor: str | None = None
        while True:
            page = self._run(page_at(cursor))
            yield from page.data
            if page.next_cursor is None:
                return
            if page.next_cursor == cursor:
                raise UnexpectedResponseError(200, detail="the API answered the same cursor twice")
            cursor = page.next_cursor

    # --- the API ---

    def catalog(self) -> list[CatalogProduct]:
        return self._run(self._core.catalog())

    def create_order(self, body: OrderBody, idempotency_key: str | None = None, wait: float | None = None) -> Order:
        """201 new, 200 a replay (same key and body), 202 still processing after `wait` seconds:
        all answer the order. Without a key one is generated, and every retry reuses it."""
        return self._run(self._core.create_order(body, idempotency_key, wait))

    def get_order(self, order_id: str) -> Order:
        return self._run(self._core.get_order(order_id))

    def iter_orders(self, **filters: Unpack[OrderFilters]) -> Iterator[Order]:
        """Newest first, every page. New orders show here within moments (get_order: at once)."""
        return self._iterate(lambda cursor: self._core.order_page(filters, cursor))

    def balance(self) -> Balances:
        return self._run(self._core.balance())

    def create_batch(
        self, lines: Sequence[OrderBody] | None = None, csv: bytes | str | None = None, *,
        idempotency_key: str | None = None, reference: str | None = None,
    ) -> Batch:  # fmt: skip
        return self._run(self._core.create_batch(lines, csv, idempotency_key, reference))

    def get_batch(self, batch_id: str) -> Batch:
        return self._run(self._core.get_batch(batch_id))

    def iter_batches(self) -> Iterator[Batch]:
        return self._iterate(self._core.batch_page)

    def iter_batch_lines(self, batch_id: str, status: str | None = None) -> Iterator[BatchLine]:
        return self._iterate(lambda cursor: self._core.batch_line_page(batch_id, status, cursor))

    def batch_results_csv(self, batch_id: str) -> bytes:
        return self._run(self._core.batch_results_csv(batch_id))

    def wait_for_batch(self, batch_id: str, timeout: float = 300.0, poll_interval: float = 1.0) -> Batch:
        return self._run(self._core.wait_for_batch(batch_id, timeout, poll_interval))

    def iter_fraud_reports(
        self, created_from: datetime | None = None, created_to: datetime | None = None
    ) -> Iterator[FraudReport]:
        return self._iterate(lambda cursor: self._core.fraud_report_page(created_from, created_to, cursor))

    fraud_reports = iter_fraud_reports

    def set_webhook_endpoint(self, url: str, event_types: Sequence[str] | None = None) -> WebhookEndpoint:
        """Answers the endpoint with its `secret` (whsec_…): store it to verify deliveries."""
        return self._run(self._core.set_webhook_endpoint(url, event_types))

    def get_webhook_endpoint(self) -> WebhookEndpoint:
        return self._run(self._core.get_webhook_endpoint())

    def delete_webhook_endpoint(self) -> None:
        self._run(self._core.delete_webhook_endpoint())

    def rotate_webhook_secret(self) -> WebhookEndpoint:
        return self._run(self._core.rotate_webhook_secret())

    # --- lifetime ---

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Quadra:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
