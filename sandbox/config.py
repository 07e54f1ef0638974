"""Sandbox configuration (frozen: one app instance keeps one behaviour for its lifetime)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxConfig:
    # Banks answer `accepted` and only report `completed` once this delay has passed.
    bank_completion_delay_ms: int = 200
    # Initial gift-certificate codes per product code until /_control/stock overrides it.
    default_stock: int = 100
    # Card BINs (first six digits) the banks refuse with `card_not_supported`.
    blocked_bins: tuple[str, ...] = ("400000",)
    # Bank transfers above this many minor units are declined with `limit_exceeded`.
    bank_limit_minor: int = 1_000_000
    # `timeout_after_accept` sleeps this long when the fault does not give `latency_ms`.
    default_fault_latency_ms: int = 30_000
    # Magic "timeout then success" values (domain/sandbox_magic.py) are answered this late:
    # longer than dispatch waits for an answer (providers.base.ProviderConfig.timeout_s, 5 s).
    magic_answer_delay_ms: int = 8_000
