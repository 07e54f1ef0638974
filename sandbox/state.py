"""Per-app in-memory state: idempotency records, execution counts, gift stock and faults.

Nothing here awaits, so every method runs atomically on the event loop: two concurrent calls
with the same order id cannot both execute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.config import SandboxConfig

FaultMode = Literal["down", "http_500", "timeout_after_accept", "decline"]
FAULT_MODES: tuple[str, ...] = ("down", "http_500", "timeout_after_accept", "decline")


@dataclass(frozen=True)
class Fault:
    mode: FaultMode
    latency_ms: int | None


@dataclass
class _ActiveFault:
    fault: Fault
    remaining: int | None  # None: applies until cleared


@dataclass
class Record:
    """The stored result of the first pay call for one (provider, order id)."""

    fingerprint: str
    response: dict[str, Any]
    # Monotonic time at which an `accepted` bank transfer turns `completed`; None otherwise.
    complete_at: float | None = None


@dataclass
class SandboxState:
    config: SandboxConfig
    records: dict[tuple[str, str], Record] = field(default_factory=dict)
    executions: dict[str, dict[str, int]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    faults: dict[str, _ActiveFault] = field(default_factory=dict)

    # --- idempotency -------------------------------------------------------------------
    def find(self, provider: str, order_id: str) -> Record | None:
        return self.records.get((provider, order_id))

    def store(self, provider: str, order_id: str, record: Record, executed: bool) -> None:
        self.records[(provider, order_id)] = record
        if executed:
            per_provider = self.executions.setdefault(provider, {})
            per_provider[order_id] = per_provider.get(order_id, 0) + 1

    def current_view(self, record: Record) -> dict[str, Any]:
        """The record as a status query sees it now (async bank completion is lazy)."""
        if record.complete_at is not None and time.monotonic() >= record.complete_at:
            return {**record.response, "status": "completed"}
        return record.response

    # --- gift stock ----------------------------------------------------------------------
    def stock_left(self, product_code: str) -> int:
        return self.stock.get(product_code, self.config.default_stock)

    def take_code(self, product_code: str) -> bool:
        left = self.stock_left(product_code)
        if left <= 0:
            return False
        self.stock[product_code] = left - 1
        return True

    def set_stock(self, product_code: str, codes: int) -> None:
        self.stock[product_code] = codes

    # --- faults --------------------------------------------------------------------------
    def set_fault(self, provider: str, fault: Fault, times: int | None) -> None:
        self.faults[provider] = _ActiveFault(fault, times)

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, provider: str) -> Fault | None:
        """The fault for this call, if any, counting it against `times`."""
        active = self.faults.get(provider)
        if active is None:
            return None
        if active.remaining is not None:
            active.remaining -= 1
            if active.remaining <= 0:
                del self.faults[provider]
        return active.fault
