"""The one place that knows the partner API: which request each method sends, how answers are
read, when to retry, how to wait for a batch. It does no I/O. Each method returns a *plan*, a
generator that yields steps — `Send(request)` or `Sleep(seconds)` — and receives what came of
each: the response, the transport error, or None after a sleep. `Quadra` (sync) and
`AsyncQuadra` (async) are thin drivers that perform the steps, so both behave the same."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, TypeVar
from urllib.parse import quote

import httpx

from quadra_client._wire import (
    JSONObject,
    WireFormatError,
    as_object,
    objects,
    optional_text,
)
from quadra_client.batch_models import Batch, BatchLine
from quadra_client.bodies import OrderBody
from quadra_client.errors import (
    CONNECTION_FAILED_TYPE,
    UNEXPECTED_RESPONSE_TYPE,
    QuadraConnectionError,
    QuadraError,
    UnexpectedResponseError,
    problem_error,
)
from quadra_client.models import (
    Balances,
    CatalogProduct,
    FraudReport,
    Order,
    Page,
    WebhookEndpoint,
)
from quadra_client.retries import RetryPolicy, retry_after_seconds

T = TypeVar("T")
VERSION = "0.1.0"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
PAGE_SIZE = 100  # rows per request while iterating (every list accepts 100)
MAX_WAIT_SECONDS = 999.0  # the longest `Prefer: wait` the header grammar carries
BATCH_UPLOAD_TIMEOUT = 120.0  # 10,000 lines are validated before the answer


@dataclass(frozen=True, slots=True)
class RequestSpec:
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    timeout: float | None = None  # None: the client's
    repeatable: bool = True  # safe to send again even if the API may have acted on it


@dataclass(frozen=True, slots=True)
class Send:
    request: RequestSpec


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Step = Send | Sleep
Outcome = httpx.Response | httpx.TransportError | None
Plan = Generator[Step, Outcome, T]


class OrderFilters(TypedDict, total=False):
    """`iter_orders` filters: all kinds must match, any value of a repeated one."""

    status: str | Sequence[str]
    product_id: str | Sequence[str]
    created_from: datetime  # inclusive, timezone-aware
    created_to: datetime  # exclusive
    external_id: str
    end_user_id: str


class BatchWaitTimeoutError(TimeoutError):
    """The batch was still processing when `wait_for_batch` gave up; `batch` is its last state."""

    def __init__(self, batch: Batch, timeout: float) -> None:
        self.batch = batch
        super().__init__(f"batch {batch.id} still {batch.status} after {timeout:g}s")


def new_idempotency_key() -> str:
    # 128 random bits written with letters only: the API refuses a key that holds a run of
    # digits passing for a card number, and a hex uuid sometimes does.
    return "qc-" + uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))


def auth_headers(api_key: str) -> dict[str, str]:
    if not api_key or not api_key.isprintable() or " " in api_key:
        raise ValueError("api_key must be a Quadra key such as qk_test_…")
    return {"Authorization": f"Bearer {api_key}", "User-Agent": f"quadra-client/{VERSION}"}


def settings_from_env(environ: Mapping[str, str]) -> tuple[str, str]:
    """(base URL, API key) from QUADRA_API_URL (default: a local `quadra up`) and QUADRA_API_KEY."""
    key = environ.get("QUADRA_API_KEY", "").strip()
    if not key:
        raise ValueError("set QUADRA_API_KEY to your qk_test_… or qk_live_… key")
    return environ.get("QUADRA_API_URL", "").strip() or DEFAULT_BASE_URL, key


def _segment(value: str, what: str) -> str:
    """An id as one path segment: `../` or `?` in it cannot reach another route."""
    if not value:
        raise ValueError(f"{what} must not be empty")
    return quote(value, safe="")


def _wait_header(wait: float) -> str:
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise ValueError(f"wait must be 0-{MAX_WAIT_SECONDS:g} seconds")
    return "wait=" + f"{wait:.3f}".rstrip("0").rstrip(".")


def _compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _aware(value: datetime, name: str) -> str:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.isoformat()


def _many(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def order_filter_params(filters: OrderFilters) -> tuple[tuple[str, str], ...]:
    unknown = set(filters) - OrderFilters.__optional_keys__
    if unknown:
        raise TypeError(f"unknown order filters: {', '.join(sorted(unknown))}")
    params: list[tuple[str, str]] = []
    params += [("status", s) for s in _many(filters.get("status", ()))]
    params += [("product_id", p) for p in _many(filters.get("product_id", ()))]
    if "created_from" in filters:
        params.append(("from", _aware(filters["created_from"], "created_from")))
    if "created_to" in filters:
        params.append(("to", _aware(filters["created_to"], "created_to")))
    if "external_id" in filters:
        params.append(("external_id", filters["external_id"]))
    if "end_user_id" in filters:
        params.append(("end_user_id", filters["end_user_id"]))
    return tuple(params)


def _decoded(response: httpx.Response) -> JSONObject:
    try:
        return as_object(response.json(), "body")
    except ValueError as exc:  # json.JSONDecodeError and WireFormatError are ValueErrors
        raise _unexpected(response, f"not a JSON object: {exc}") from None


def _unexpected(response: httpx.Response, why: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        response.status_code, UNEXPECTED_RESPONSE_TYPE, "Unexpected response",
        f"{response.request.method} {response.request.url.path}: {why}",
        request_id=response.headers.get("x-request-id"),
    )  # fmt: skip


def _parsed(response: httpx.Response, parse: Callable[[JSONObject], T]) -> T:
    try:
        return parse(_decoded(response))
    except WireFormatError as exc:
        raise _unexpected(response, str(exc)) from None


def _page_of(parse: Callable[[JSONObject], T]) -> Callable[[JSONObject], Page[T]]:
    def page(obj: JSONObject) -> Page[T]:
        return Page(tuple(parse(item) for item in objects(obj, "data")), optional_text(obj, "next_cursor"))

    return page


def _catalog(obj: JSONObject) -> list[CatalogProduct]:
    return [CatalogProduct.from_json(p) for p in objects(obj, "data")]


class QuadraCore:
    def __init__(self, retries: RetryPolicy, timeout: float, monotonic: Callable[[], float]) -> None:
        self._retries = retries
        self._timeout = timeout
        self._monotonic = monotonic

    # --- sending ---

    def exchange(self, spec: RequestSpec) -> Plan[httpx.Response]:
        """The successful response to `spec`, sent again (unchanged) while the policy says so."""
        attempt = 0
        while True:
            attempt += 1
            outcome = yield Send(spec)
            if outcome is None:
                raise RuntimeError("a driver answered Send with nothing")
            if isinstance(outcome, httpx.Response) and outcome.is_success:
                return outcome
            delay = self._retries.delay_before_retry(outcome, attempt, spec.repeatable)
            if delay is None:
                raise self._failure(outcome) from (outcome if isinstance(outcome, Exception) else None)
            yield Sleep(delay)

    def _failure(self, outcome: httpx.Response | httpx.TransportError) -> QuadraError:
        if isinstance(outcome, httpx.TransportError):
            return QuadraConnectionError(
                0, CONNECTION_FAILED_TYPE, "No answer from the Quadra API", f"{type(outcome).__name__}: {outcome}"
            )
        return problem_error(outcome, retry_after_seconds(outcome))

    def _read(self, spec: RequestSpec, parse: Callable[[JSONObject], T]) -> Plan[T]:
        response = yield from self.exchange(spec)
        return _parsed(response, parse)

    # --- catalog, orders, balance ---

    def catalog(self) -> Plan[list[CatalogProduct]]:
        return self._read(RequestSpec("GET", "/v1/catalog"), _catalog)

    def create_order(self, body: OrderBody, idempotency_key: str | None, wait: float | None) -> Plan[Order]:
        headers = [("Content-Type", "application/json"), ("Idempotency-Key", idempotency_key or new_idempotency_key())]
        if wait is not None:
            headers.append(("Prefer", _wait_header(wait)))
        spec = RequestSpec(
            "POST", "/v1/orders", headers=tuple(headers), content=_compact_json(body),
            timeout=self._timeout + (wait or 0.0),
        )  # fmt: skip
        return self._read(spec, Order.from_json)

    def get_order(self, order_id: str) -> Plan[Order]:
        return self._read(RequestSpec("GET", f"/v1/orders/{_segment(order_id, 'order_id')}"), Order.from_json)

    def order_page(self, filters: OrderFilters, cursor: str | None) -> Plan[Page[Order]]:
        return self._page("/v1/orders", order_filter_params(filters), cursor, Order.from_json)

    def balance(self) -> Plan[Balances]:
        return self._read(RequestSpec("GET", "/v1/balance"), Balances.from_json)

    def fraud_report_page(
        self, created_from: datetime | None, created_to: datetime | None, cursor: str | None
    ) -> Plan[Page[FraudReport]]:
        params = [("from", _aware(created_from, "created_from"))] if created_from else []
        params += [("to", _aware(created_to, "created_to"))] if created_to else []
        return self._page("/v1/fraud-reports", tuple(params), cursor, FraudReport.from_json)

    def _page(
        self, path: str, params: tuple[tuple[str, str], ...], cursor: str | None, parse: Callable[[JSONObject], T]
    ) -> Plan[Page[T]]:
        query = (*params, ("limit", str(PAGE_SIZE)), *((("cursor", cursor),) if cursor else ()))
        return self._read(RequestSpec("GET", path, params=query), _page_of(parse))

    # --- mass payouts ---

    def create_batch(
        self, lines: Sequence[OrderBody] | None, csv: bytes | str | None,
        idempotency_key: str | None, reference: str | None,
    ) -> Plan[Batch]:  # fmt: skip
        if (lines is None) == (csv is None):
            raise ValueError("give either lines or csv")
        key = ("Idempotency-Key", idempotency_key or new_idempotency_key())
        query: tuple[tuple[str, str], ...] = ()
        if lines is not None:
            document: dict[str, object] = {"lines": list(lines)}
            if reference is not None:
                document["reference"] = reference
            content, media = _compact_json(document), "application/json"
        else:
            if reference is not None:  # a CSV file has no room for it: the URL carries it
                query = (("reference", reference),)
            content = csv.encode() if isinstance(csv, str) else bytes(csv or b"")
            media = "text/csv; charset=utf-8"
        spec = RequestSpec(
            "POST", "/v1/batches", headers=(("Content-Type", media), key), content=content,
            params=query, timeout=max(self._timeout, BATCH_UPLOAD_TIMEOUT),
        )  # fmt: skip
        return self._read(spec, Batch.from_json)

    def get_batch(self, batch_id: str) -> Plan[Batch]:
        return self._read(RequestSpec("GET", f"/v1/batches/{_segment(batch_id, 'batch_id')}"), Batch.from_json)

    def batch_page(self, cursor: str | None) -> Plan[Page[Batch]]:
        return self._page("/v1/batches", (), cursor, Batch.from_json)

    def batch_line_page(self, batch_id: str, status: str | None, cursor: str | None) -> Plan[Page[BatchLine]]:
        path = f"/v1/batches/{_segment(batch_id, 'batch_id')}/lines"
        return self._page(path, (("status", status),) if status else (), cursor, BatchLine.from_json)

    def batch_results_csv(self, batch_id: str) -> Plan[bytes]:
        spec = RequestSpec("GET", f"/v1/batches/{_segment(batch_id, 'batch_id')}/results.csv")
        response = yield from self.exchange(spec)
        return response.content

    def wait_for_batch(self, batch_id: str, timeout: float, poll_interval: float) -> Plan[Batch]:
        """The batch once completed; BatchWaitTimeoutError with its last state after `timeout`."""
        if timeout < 0 or poll_interval <= 0:
            raise ValueError("timeout >= 0 and poll_interval > 0")
        deadline = self._monotonic() + timeout
        while True:
            batch = yield from self.get_batch(batch_id)
            if batch.is_completed:
                return batch
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise BatchWaitTimeoutError(batch, timeout)
            yield Sleep(min(poll_interval, remaining))

    # --- webhook endpoint ---

    def set_webhook_endpoint(self, url: str, event_types: Sequence[str] | None) -> Plan[WebhookEndpoint]:
        document: dict[str, object] = {"url": url}
        if event_types is not None:
            document["event_types"] = list(event_types)
        spec = RequestSpec(
            "PUT", "/v1/webhook-endpoint", headers=(("Content-Type", "application/json"),),
            content=_compact_json(document),
        )  # fmt: skip
        return self._read(spec, WebhookEndpoint.from_json)

    def get_webhook_endpoint(self) -> Plan[WebhookEndpoint]:
        return self._read(RequestSpec("GET", "/v1/webhook-endpoint"), WebhookEndpoint.from_json)

    def delete_webhook_endpoint(self) -> Plan[None]:
        yield from self.exchange(RequestSpec("DELETE", "/v1/webhook-endpoint"))

    def rotate_webhook_secret(self) -> Plan[WebhookEndpoint]:
        # Not repeatable: a second rotation would void the secret the first one answered with.
        spec = RequestSpec("POST", "/v1/webhook-endpoint/rotate-secret", repeatable=False)
        return self._read(spec, WebhookEndpoint.from_json)
