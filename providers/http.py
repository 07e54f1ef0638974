"""The HTTP core shared by every adapter: one pay/status flow that never pays twice.

`pay` POSTs with `Idempotency-Key: <order_id>`. What happens when no trustworthy answer comes:

- 503 or a connection error (nothing reached the provider): retry the pay after a backoff;
  when the budget runs out the outcome is UNKNOWN/UNAVAILABLE, which is safe to fail over.
- a timeout, another transport error or another 5xx (the call may have been executed): never pay
  again blindly. Ask `status` (same order id); only a 404 `not_found` permits another pay call.
  A status that cannot be learned gives UNKNOWN/AMBIGUOUS: the caller asks again later, and
  must not fail over to another provider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from providers.base import (
    DEFAULT_SLEEP,
    IGNORE_CALLS,
    REASON_AMBIGUOUS,
    REASON_NOT_FOUND,
    REASON_OUT_OF_STOCK,
    REASON_UNAVAILABLE,
    CallHook,
    CallRecord,
    Fault,
    OutcomeState,
    PayoutOutcome,
    PayoutRequest,
    ProviderConfig,
    Sleep,
)
from providers.sanitize import mask_digits, sanitize_body

_log = logging.getLogger(__name__)

_STATES = {
    "completed": OutcomeState.PAID,
    "accepted": OutcomeState.PENDING,
    "declined": OutcomeState.DECLINED,
}
# Errors raised before any byte of the request could have reached the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Unavailable(Exception):
    """Nothing was executed: the provider is down."""


class _Ambiguous(Exception):
    """The call may have been executed: only a status query can tell."""


class HttpProvider:
    """Base of the adapters: subclasses give the paths and build the pay body."""

    pay_path: str = ""  # under the prefix, e.g. "/v1/transfers"; status is `{pay_path}/{order_id}`
    default_name: str = ""  # the provider's name and URL prefix, unless the caller gives others
    default_prefix: str = ""

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: ProviderConfig | None = None,
        on_call: CallHook = IGNORE_CALLS,
        sleep: Sleep = DEFAULT_SLEEP,
        *,
        name: str = "",
        prefix: str = "",
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._client = client
        self._name = name or self.default_name
        self._prefix = (prefix or self.default_prefix).rstrip("/")
        self._config = config or ProviderConfig()
        self._on_call = on_call
        self._sleep = sleep
        self._clock = clock

    @property
    def name(self) -> str:
        return self._name

    def build_body(self, request: PayoutRequest) -> dict[str, Any]:
        raise NotImplementedError

    # -- public API ---------------------------------------------------------------------------

    async def pay(self, request: PayoutRequest) -> PayoutOutcome:
        body = self.build_body(request)
        ambiguous = False
        cfg = self._config
        for attempt in range(1, cfg.max_attempts + 1):
            if attempt > 1:
                await self._sleep(cfg.backoff(attempt - 1))
            try:
                response = await self._call("POST", self._pay_url(), request.order_id, body)
            except _Unavailable:
                continue
            except _Ambiguous:
                ambiguous = True
                resolved = await self._resolve(request.order_id)
                if resolved is None:  # status says not_found: the pay was not executed
                    continue
                return resolved
            if response.status_code == 409 and _error(response) == "idempotency_mismatch":
                # An earlier call for this order id carried another body: report what it did.
                # Whatever the status query says, this is never a case to fail over.
                earlier = await self._resolve(request.order_id)
                if earlier is None or earlier.state is OutcomeState.UNKNOWN:
                    return self._unknown(Fault.AMBIGUOUS)
                return earlier
            return self._outcome(response, request.order_id)
        return self._unknown(Fault.AMBIGUOUS if ambiguous else Fault.UNAVAILABLE)

    async def status(self, order_id: str) -> PayoutOutcome:
        try:
            resolved = await self._query(order_id)
        except (_Unavailable, _Ambiguous) as exc:
            fault = Fault.UNAVAILABLE if isinstance(exc, _Unavailable) else Fault.AMBIGUOUS
            return self._unknown(fault)
        if resolved is None:
            return PayoutOutcome(OutcomeState.UNKNOWN, self._name, reason=REASON_NOT_FOUND)
        return resolved

    # -- internals ----------------------------------------------------------------------------

    async def _resolve(self, order_id: str) -> PayoutOutcome | None:
        """After an ambiguous pay: the truth, None for not_found, UNKNOWN when unresolved."""
        try:
            return await self._query(order_id)
        except (_Unavailable, _Ambiguous):
            return self._unknown(Fault.AMBIGUOUS)

    async def _query(self, order_id: str) -> PayoutOutcome | None:
        """Status with retries (a GET is safe to repeat); None means 404 not_found."""
        cfg = self._config
        last: Exception = _Ambiguous()
        for attempt in range(1, cfg.max_attempts + 1):
            if attempt > 1:
                await self._sleep(cfg.backoff(attempt - 1))
            try:
                response = await self._call("GET", f"{self._pay_url()}/{order_id}", order_id, None)
            except (_Unavailable, _Ambiguous) as exc:
                last = exc
                continue
            if response.status_code == 404:
                return None
            return self._outcome(response, order_id)
        raise last

    async def _call(
        self, method: str, url: str, order_id: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self._config.token}",
            "Idempotency-Key": order_id,
        }
        started = self._clock()
        response: httpx.Response | None = None
        error: str | None = None
        try:
            response = await self._client.request(
                method, url, json=body, headers=headers, timeout=self._config.timeout_s
            )
        except _NOT_SENT as exc:
            error = type(exc).__name__
            raise _Unavailable() from exc
        except httpx.HTTPError as exc:
            error = type(exc).__name__
            raise _Ambiguous() from exc
        finally:
            self._record(method, url, order_id, body, response, error, started)
        if response.status_code == 503:
            raise _Unavailable()
        if response.status_code >= 500:
            raise _Ambiguous()
        return response

    def _record(
        self,
        method: str,
        url: str,
        order_id: str,
        body: dict[str, Any] | None,
        response: httpx.Response | None,
        error: str | None,
        started: float,
    ) -> None:
        record = CallRecord(
            provider=self._name,
            method=method,
            path=mask_digits(url),
            order_id=order_id,
            status=response.status_code if response is not None else None,
            duration_ms=round((self._clock() - started) * 1000, 3),
            request_body=sanitize_body(body),
            response_body=sanitize_body(_json(response)) if response is not None else None,
            error=mask_digits(error) if error else None,
        )
        try:
            self._on_call(record)
        except Exception:  # noqa: BLE001 - a broken log hook must never change an outcome
            _log.exception("call log hook failed for %s %s", self._name, record.path)

    def _pay_url(self) -> str:
        return f"{self._prefix}{self.pay_path}"

    def _outcome(self, response: httpx.Response, order_id: str) -> PayoutOutcome:
        data = _json(response)
        if response.status_code in (200, 201) and isinstance(data, dict):
            state = _STATES.get(str(data.get("status")))
            if state is not None:
                details = data.get("details") or {}
                reason = data.get("decline_code") if state is OutcomeState.DECLINED else None
                return PayoutOutcome(
                    state,
                    self._name,
                    reason=str(reason)
                    if reason
                    else ("declined" if state is OutcomeState.DECLINED else None),
                    provider_ref=_str_or_none(data.get("provider_ref")),
                    details=dict(details) if isinstance(details, dict) else {},
                )
        if response.status_code == 409 and _error(response) == REASON_OUT_OF_STOCK:
            return PayoutOutcome(OutcomeState.DECLINED, self._name, reason=REASON_OUT_OF_STOCK)
        if 200 <= response.status_code < 300:  # a 2xx we cannot read: it may have been paid
            return PayoutOutcome(
                OutcomeState.UNKNOWN,
                self._name,
                reason="unreadable_response",
                fault=Fault.AMBIGUOUS,
            )
        reason = _error(response) or f"http_{response.status_code}"
        return PayoutOutcome(OutcomeState.UNKNOWN, self._name, reason=reason, fault=Fault.REJECTED)

    def _unknown(self, fault: Fault) -> PayoutOutcome:
        reason = REASON_UNAVAILABLE if fault is Fault.UNAVAILABLE else REASON_AMBIGUOUS
        return PayoutOutcome(OutcomeState.UNKNOWN, self._name, reason=reason, fault=fault)


def _json(response: httpx.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _error(response: httpx.Response) -> str | None:
    data = _json(response)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def money_json(request: PayoutRequest) -> dict[str, Any]:
    return {"value": request.amount.value, "currency": request.amount.currency}
